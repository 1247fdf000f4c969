"""Annuaire Santé (simulated)"""
