"""Stand-in for the Charmhub library the Worker imports to patch pod resources (not on
PyPI): the test worker asks for no resource patch, so neither name is called."""


class KubernetesComputeResourcesPatch:
    def __init__(self, *args, **kwargs):
        raise NotImplementedError("no Kubernetes under charm-sim")


def adjust_resource_requirements(*args, **kwargs):
    raise NotImplementedError("no Kubernetes under charm-sim")
