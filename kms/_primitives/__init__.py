"""Primitives behind the kms recipes. Nothing outside ``kms`` imports from here.

These functions assume their caller already checked its inputs and knows which
failures must stay opaque; the recipes one level up make those decisions.
"""
