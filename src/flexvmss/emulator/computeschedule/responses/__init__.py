"""HTTP handlers of the ``Microsoft.ComputeSchedule`` provider."""
