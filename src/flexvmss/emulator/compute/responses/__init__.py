"""HTTP handlers of the compute provider: each parses a request, calls the models and
renders Compute's answer (status, ``Azure-AsyncOperation``/``Location``, ``ETag``)."""
