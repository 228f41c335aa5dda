"""Fidelity fixes to moto: where moto differs from Kinesis, these patches make it behave as
AWS documents (errors, iterators, resharding, routing), so lessons observe real behaviour.
:mod:`.serializer_cache` changes no behaviour: moto's responses, serialized for less CPU."""
