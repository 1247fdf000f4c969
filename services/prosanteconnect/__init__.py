"""Pro Santé Connect (simulated)"""
