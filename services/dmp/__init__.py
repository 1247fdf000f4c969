"""DMP (simulated)"""
