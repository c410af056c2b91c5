"""State and behaviour of the ScheduledActions provider: plain functions over the store, no HTTP.

==================  ==============================================================
``limits``          the published limits and the inferred timings, each with its source
``state``           the provider's state in the store, times on the wire
``registration``    ARM's answers for the provider: registered? which regions?
``requests``        a request read and checked as a whole (400s)
``accept``          a batch accepted VM by VM (per-VM refusals, preemption)
``lifecycle``       one operation's states over time, its end, cancel
``dispatch``        operations sent to Compute within its budget; retries
==================  ==============================================================
"""
