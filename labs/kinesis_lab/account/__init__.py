"""The learner's mocked AWS account: the lab session, the local endpoint, the clock control,
the network guard, AWS-environment scrubbing, resource marking and retry sleeps."""
