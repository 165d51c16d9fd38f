from doha.core.text import collation_key, fold, format_number, format_percent, nfc


def test_fold_removes_accents_case_and_d_stroke():
    assert fold("Trung tâm Y tế Tiên Du") == "trung tam y te tien du"
    assert fold("ĐẮK NÔNG") == "dak nong"


def test_nfc_composes_decomposed_input():
    decomposed = "Tie\u0302\u0300n Du"  # "Tiền" typed with combining marks
    assert nfc(decomposed) == "Tiền Du"
    assert len(nfc(decomposed)) == len("Tiền Du")


def test_vietnamese_order_puts_d_stroke_after_d_and_tones_after_letters():
    names = ["Đông Anh", "Dương Kinh", "Ân Thi", "An Bình", "Ba Vì", "Bắc Ninh", "Tiến", "Tiên"]
    assert sorted(names, key=collation_key) == [
        "An Bình",
        "Ân Thi",
        "Ba Vì",
        "Bắc Ninh",
        "Dương Kinh",
        "Đông Anh",
        "Tiên",
        "Tiến",
    ]


def test_numbers_use_vietnamese_separators():
    assert format_number(917405) == "917.405"
    assert format_number(1234.5, 1) == "1.234,5"
    assert format_percent(77) == "77,0%"
