"""Stand-in for the Charmhub library the Worker imports to label pods (not on PyPI): no
Kubernetes API under charm-sim (charm.py also makes the Worker's call a no-op)."""


def reconcile_charm_labels(**kwargs):
    pass
