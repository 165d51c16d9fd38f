"""Content-Security-Policy: pages load scripts, styles, images and fonts from this site only.

Scripts are strict: every response gets a fresh nonce (``request.csp_nonce``); a template that
cannot avoid an inline ``<script>`` marks it with ``nonce="{{ request.csp_nonce }}"``, and
inline event handlers (``onclick=...``) are refused: behaviours live in static files
(core/behaviours.js reads ``data-*`` attributes). Styles may be inline: charts place bars with
computed ``style="left: ..%"``, pygal's SVG charts carry their own ``<style>``, and CSS cannot
run code (the risk left is restyling a page, not reading or sending its data).
"""

import secrets

from django.conf import settings

HEADER = "Content-Security-Policy"


def build_policy(nonce: str) -> str:
    directives = {
        "default-src": "'self'",
        "script-src": f"'self' 'nonce-{nonce}'",
        "style-src": "'self' 'unsafe-inline'",
        "img-src": "'self' data:",
        "font-src": "'self' data:",
        "connect-src": "'self'",
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }
    directives.update(getattr(settings, "DOHA_CSP_EXTRA", {}))
    return "; ".join(f"{name} {value}" for name, value in directives.items())


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.csp_nonce = secrets.token_urlsafe(16)
        response = self.get_response(request)
        if HEADER not in response:
            response[HEADER] = build_policy(request.csp_nonce)
        return response
