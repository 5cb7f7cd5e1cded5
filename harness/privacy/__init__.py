"""Privacy detection: a run's protected values, the layers a tracker wraps them in, the scanner that finds every
spelling, the redactor that removes every spelling from stored evidence, and the rules that turn hits into findings.
"""
