"""State and behaviour of the network provider: plain functions over the store, no HTTP.

=================  ==============================================================
``common``         types, bookkeeping (``store.extra["network"]``), lookups
``addresses``      private IPs per subnet, the public IP pool
``refs``           forward references and the back-references Azure maintains
``checks``         what cannot be removed while in use; NIC reservations
``normalize``      a PUT body -> the stored body, per type
``writes``         storing and removing bodies; the PUT/DELETE operations
=================  ==============================================================
"""
