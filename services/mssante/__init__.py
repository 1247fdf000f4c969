"""MSSanté (simulated)"""
