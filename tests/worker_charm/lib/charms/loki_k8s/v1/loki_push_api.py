"""Stand-in for the Charmhub library the Worker imports for Loki log forwarding (not on
PyPI): no Loki runs under charm-sim, so forwarding changes nothing."""


class _PebbleLogClient:
    @staticmethod
    def check_juju_version():
        pass

    @staticmethod
    def disable_inactive_endpoints(container, active_endpoints, topology):
        pass

    @staticmethod
    def enable_endpoints(container, active_endpoints, topology):
        pass
