"""Compile every .po file under src/ to .mo with polib (no GNU gettext needed)."""

from pathlib import Path

import polib

root = Path(__file__).resolve().parent.parent / "src"
for po_path in root.rglob("*.po"):
    po = polib.pofile(str(po_path))
    po.save_as_mofile(str(po_path.with_suffix(".mo")))
    print(f"{po_path.relative_to(root)}: {po.percent_translated()}% translated")
