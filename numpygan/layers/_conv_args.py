"""Argument parsing shared by Conv2D and Conv2DTranspose."""


def pair(value, arg, owner):
    """Accept an int or a pair of positive ints (Keras style) and return a pair."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = (value, value)
    if (not isinstance(value, (tuple, list)) or len(value) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in value)):
        raise ValueError(f"{owner}: argument '{arg}' must be a positive int or a pair of them, received {value!r}")
    return tuple(value)
