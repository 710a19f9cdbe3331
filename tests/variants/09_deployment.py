"""Other answers to 09_deployment's exercises, written as students plausibly would: each right one
must earn the exercise's full marks, each wrong one nothing."""

RIGHT = {
    "affine_params": {
        "NumPy's round and clip, range widened with np.minimum": """import numpy as np


def affine_params(x_min, x_max):
    if x_min >= x_max:
        raise ValueError("x_min must be smaller than x_max")
    lo = float(np.minimum(x_min, 0.0))
    hi = float(np.maximum(x_max, 0.0))
    scale = (hi - lo) / 255.0
    zero_point = int(np.clip(np.round(-128 - lo / scale), -128, 127))
    return scale, zero_point""",
        "zero point from the top of the range": """def affine_params(x_min, x_max):
    if not (x_min < x_max):
        raise ValueError("need x_min < x_max")
    lo, hi = min(x_min, 0.0), max(x_max, 0.0)
    scale = (hi - lo) / 255
    zero_point = 127 - round(hi / scale)
    return scale, int(min(127, max(-128, zero_point)))""",
    },
    "quantize_dequantize": {
        "rint and a float32 result built from int32": """import numpy as np


def quantize(x, scale, zero_point):
    q = np.rint(np.asarray(x, dtype=np.float64) / scale).astype(np.int64) + zero_point
    return np.clip(q, -128, 127).astype(np.int8)


def dequantize(q, scale, zero_point):
    return (np.asarray(q).astype(np.int32) - zero_point).astype(np.float32) * np.float32(scale)""",
        "clip before adding the zero point, float64 then float32": """import numpy as np


def quantize(x, scale, zero_point):
    steps = np.round(np.array(x, dtype=float) / scale)
    steps = np.clip(steps, -128 - zero_point, 127 - zero_point)
    return (steps + zero_point).astype(np.int8)


def dequantize(q, scale, zero_point):
    values = scale * (q.astype(float) - zero_point)
    return values.astype(np.float32)""",
    },
    "choose_conversion": {
        "validation first, then a lookup": """def choose_conversion(
    has_float_hardware, has_float16_hardware, has_representative_data
):
    if has_float16_hardware and not has_float_hardware:
        raise ValueError("contradictory: float16 hardware is float hardware")
    if not has_float_hardware and not has_representative_data:
        raise ValueError("an integer-only device needs representative data")
    if not has_float_hardware:
        return "int8"
    if has_float16_hardware:
        return "float16"
    return {True: "int8", False: "dynamic_range"}[bool(has_representative_data)]""",
        "nested ifs on the float hardware": """def choose_conversion(fp32, fp16, data):
    if fp32:
        if fp16:
            return "float16"
        elif data:
            return "int8"
        else:
            return "dynamic_range"
    else:
        if fp16:
            raise ValueError("float16 without float hardware is impossible")
        if data:
            return "int8"
        raise ValueError("nothing runs there without representative data")""",
    },
}

WRONG = {
    "affine_params": {
        "range not widened to contain 0": """def affine_params(x_min, x_max):
    if not x_min < x_max:
        raise ValueError("need x_min < x_max")
    scale = (x_max - x_min) / 255
    zero_point = round(-128 - x_min / scale)
    return scale, max(-128, min(127, zero_point))""",
        "256 levels in the scale": """def affine_params(x_min, x_max):
    if not x_min < x_max:
        raise ValueError("need x_min < x_max")
    lo, hi = min(x_min, 0.0), max(x_max, 0.0)
    scale = (hi - lo) / 256
    return scale, max(-128, min(127, round(-128 - lo / scale)))""",
        "no check of the range": """def affine_params(x_min, x_max):
    lo, hi = min(x_min, 0.0), max(x_max, 0.0)
    if hi == lo:
        hi = lo + 1.0
    scale = (hi - lo) / 255
    return scale, max(-128, min(127, round(-128 - lo / scale)))""",
        "zero point with the wrong sign": """def affine_params(x_min, x_max):
    if not x_min < x_max:
        raise ValueError("need x_min < x_max")
    lo, hi = min(x_min, 0.0), max(x_max, 0.0)
    scale = (hi - lo) / 255
    return scale, max(-128, min(127, round(-128 + lo / scale)))""",
    },
    "quantize_dequantize": {
        "subtracts in int8: wraps around": """import numpy as np


def quantize(x, scale, zero_point):
    q = np.round(np.asarray(x, dtype=np.float64) / scale) + zero_point
    return np.clip(q, -128, 127).astype(np.int8)


def dequantize(q, scale, zero_point):
    return (scale * (q - np.int8(zero_point))).astype(np.float32)""",
        "truncates instead of rounding": """import numpy as np


def quantize(x, scale, zero_point):
    q = np.asarray(x, dtype=np.float64) / scale + zero_point
    return np.clip(q, -128, 127).astype(np.int8)


def dequantize(q, scale, zero_point):
    return (scale * (np.asarray(q, dtype=np.float64) - zero_point)).astype(np.float32)""",
        "casts to int8 before clipping": """import numpy as np


def quantize(x, scale, zero_point):
    q = (np.round(np.asarray(x, dtype=np.float64) / scale) + zero_point).astype(np.int8)
    return np.clip(q, -128, 127)


def dequantize(q, scale, zero_point):
    return (scale * (np.asarray(q, dtype=np.float64) - zero_point)).astype(np.float32)""",
        "dequantize returns float64": """import numpy as np


def quantize(x, scale, zero_point):
    q = np.round(np.asarray(x, dtype=np.float64) / scale) + zero_point
    return np.clip(q, -128, 127).astype(np.int8)


def dequantize(q, scale, zero_point):
    return scale * (np.asarray(q, dtype=np.float64) - zero_point)""",
    },
    "choose_conversion": {
        "float16 before checking for float hardware": """def choose_conversion(
    has_float_hardware, has_float16_hardware, has_representative_data
):
    if has_float16_hardware:
        return "float16"
    if not has_float_hardware:
        if not has_representative_data:
            raise ValueError("needs representative data")
        return "int8"
    return "int8" if has_representative_data else 'dynamic_range'""",
        "an integer-only device without data falls back to dynamic range": """def choose_conversion(
    has_float_hardware, has_float16_hardware, has_representative_data
):
    if has_float16_hardware and not has_float_hardware:
        raise ValueError("contradictory")
    if has_float16_hardware:
        return "float16"
    return "int8" if has_representative_data else 'dynamic_range'""",
        "int8 preferred over float16 when data is there": """def choose_conversion(
    has_float_hardware, has_float16_hardware, has_representative_data
):
    if has_float16_hardware and not has_float_hardware:
        raise ValueError("contradictory")
    if not has_float_hardware and not has_representative_data:
        raise ValueError("needs representative data")
    if has_representative_data:
        return "int8"
    return "float16" if has_float16_hardware else 'dynamic_range'""",
    },
}
