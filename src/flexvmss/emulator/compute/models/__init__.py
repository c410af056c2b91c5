"""State and behaviour of the compute provider: plain functions over the store, no HTTP.

=================  ==============================================================
``state``          resource types, private bookkeeping, set membership index
``operations``     operation kinds: Azure's name for each, its duration
``power``          a VM's operation in flight, power states, instance view
``skus``           the Resource SKUs catalog as compute reads it
``flex``           the Flexible orchestration rules on sizes and sets
``membership``     the rules on a VM joining, attaching to or leaving a set
``disks``          managed disks, and those VMs create, attach and release
``vms``            virtual machines: build, update, remove, list
``actions``        the per-VM actions (start, deallocate, runCommand...)
``scaling``        profile VMs, scale-in, the set-level operation
``vmss``           scale sets: create, update, delete, Uniform-only APIs
=================  ==============================================================

A function that starts an operation takes the :class:`~flexvmss.emulator.core.Request`
that asked for it: the fault injector matches its rules on that request. Where Azure
checks a resource's state before it reads the request body, the function reads the body
itself, so the order of errors stays Azure's.
"""
