"""Hazardous PSI primitives: commutative blinding on P-256 and owner-side Paillier.

Only the protocol cores in ``jobs/psi`` (``psi_sum``) may import these: a caller
that uses a blinding scalar twice, or encrypts under a key that meets a second
partner, breaks the protocol's privacy without any error. Everything else goes
through the sessions in ``jobs.psi``; ``tests/unit/psi/test_surface.py`` checks the
fence.
"""
