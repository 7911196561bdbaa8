from oms_policy.tests.conftest import administrator  # noqa: F401  (the administrators' persona)
