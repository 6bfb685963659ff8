"""The step engine: the machinery every replay runs on.

``sim`` interleaves a scenario's threads in modelled time and turns their
actions into events; ``kvm`` is KVM's part of a guest's store to a device
register, which several scenarios share. The scenarios themselves are in
``vtrace.scenarios``. Nothing here prints, opens files or reads a clock: time
is modelled and seeded, so a replay gives the same stream for the same
parameters.
"""
