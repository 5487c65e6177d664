"""The local stack: real services on loopback, each behind a toxiproxy proxy.

``importctl stack`` drives it; tests and the chaos harness reuse
:func:`harness.stack.toxiproxy.proxy_specs` and
:func:`harness.stack.toxiproxy.ensure_proxies`.
"""
