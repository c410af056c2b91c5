"""HTTP handlers of the network provider: one set per top-level collection
(:mod:`.resources`) and per child collection (:mod:`.children`)."""
