"""Bad and hostile inputs, generated in code: the corpus (cases.py) and the hostile workspace (hostile.py)."""
