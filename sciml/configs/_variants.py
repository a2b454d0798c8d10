"""Pick a named variant of a config module."""


def pick(problem: str, variants: dict, variant: str):
    if variant not in variants:
        raise ValueError(
            f"{problem} has no config variant {variant!r}; variants: {', '.join(variants)}"
        )
    return variants[variant]()
