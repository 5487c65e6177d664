"""The local stack: real services on loopback, each behind a toxiproxy proxy.

``importctl stack`` drives it; tests and the chaos harness reuse
:func:`control_plane.devstack.toxiproxy.proxy_specs` and
:func:`control_plane.devstack.toxiproxy.ensure_proxies`.
"""
