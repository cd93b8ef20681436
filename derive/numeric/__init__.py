"""Hand-written NumPy references and finite-difference checks of derive's symbolic results."""
