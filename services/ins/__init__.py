"""INS (simulated)"""
