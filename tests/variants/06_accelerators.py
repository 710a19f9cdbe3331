"""Other answers to 06_accelerators' exercises, written as students plausibly would: each right one
must earn the exercise's full marks, each wrong one nothing."""

# The answers keep the long lines students write in a notebook, where the browser wraps them.
# ruff: noqa: E501

RIGHT = {
    "choose_strategy": {
        "validation first, a lookup table for one host": """def choose_strategy(tpu_available, num_gpus, num_hosts=1):
    if tpu_available not in (True, False) or type(tpu_available) is not bool:
        raise ValueError("tpu_available must be True or False")
    if type(num_gpus) is not int or num_gpus < 0:
        raise ValueError("num_gpus must be a whole number >= 0")
    if type(num_hosts) is not int or num_hosts < 1:
        raise ValueError("num_hosts must be a whole number >= 1")
    if tpu_available:
        return "TPUStrategy"
    if num_hosts > 1:
        return "MultiWorkerMirroredStrategy"
    return {0: "default", 1: "OneDeviceStrategy"}.get(num_gpus, "MirroredStrategy")""",
        "numbers.Integral and nested ifs": """import numbers


def choose_strategy(tpu_available, num_gpus, num_hosts=1):
    if not isinstance(tpu_available, bool):
        raise ValueError("tpu_available: True or False")
    for value, lowest in ((num_gpus, 0), (num_hosts, 1)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise ValueError(f"{value!r} is not a whole number")
        if value < lowest:
            raise ValueError(f"{value} is below {lowest}")
    if not tpu_available:
        if num_hosts == 1:
            if num_gpus == 0:
                return "default"
            elif num_gpus == 1:
                return "OneDeviceStrategy"
            else:
                return "MirroredStrategy"
        else:
            return "MultiWorkerMirroredStrategy"
    return "TPUStrategy"
""",
    },
    "to_bfloat16": {
        "np.asarray, uint32 constants, view back": """def to_bfloat16(x):
    a = np.array(x, dtype=np.float32, copy=True)
    u = a.view(np.uint32)
    bias = np.uint32(0x7FFF) + ((u >> np.uint32(16)) & np.uint32(1))
    out = ((u + bias) & np.uint32(0xFFFF0000)).astype(np.uint32)
    return out.view(np.float32).reshape(a.shape)""",
        "64-bit arithmetic, then back to 32 bits": """def to_bfloat16(x):
    x = np.asarray(x, dtype=np.float32)
    bits = x.view(np.uint32).astype(np.uint64)
    odd = (bits >> 16) & 1
    rounded = ((bits + 0x7FFF + odd) >> 16) << 16
    return (rounded & 0xFFFFFFFF).astype(np.uint32).view(np.float32)""",
        "frombuffer over a contiguous copy": """def to_bfloat16(x):
    arr = np.ascontiguousarray(np.array(x, dtype=np.float32))
    bits = np.frombuffer(arr.tobytes(), dtype=np.uint32).copy()
    keep = (bits >> 16) & 1
    bits = (bits + np.uint32(32767) + keep) & np.uint32(4294901760)
    return np.frombuffer(bits.tobytes(), dtype=np.float32).reshape(arr.shape).copy()""",
    },
    "conv2d_intensity": {
        "named quantities, bytes last": """def conv2d_intensity(batch, height, width, in_channels, out_channels, kernel_size, bytes_per_element=4):
    for v in (batch, height, width, in_channels, out_channels, kernel_size, bytes_per_element):
        if v <= 0:
            raise ValueError("all sizes must be positive")
    outputs = batch * height * width * out_channels
    flops = outputs * 2 * kernel_size * kernel_size * in_channels
    input_elems = batch * height * width * in_channels
    filter_elems = kernel_size * kernel_size * in_channels * out_channels
    return flops / ((input_elems + filter_elems + outputs) * bytes_per_element)""",
        "one expression, any() for the check": """def conv2d_intensity(batch, height, width, in_channels, out_channels, kernel_size, bytes_per_element=4):
    if any(s <= 0 for s in [batch, height, width, in_channels, out_channels, kernel_size, bytes_per_element]):
        raise ValueError("bad size")
    n, h, w, c, f, k, b = batch, height, width, in_channels, out_channels, kernel_size, bytes_per_element
    return float(2 * n * h * w * c * f * k**2) / float(b * (n * h * w * (c + f) + k**2 * c * f))""",
    },
    "dense_batch": {
        "a loop over batches after checking the limit": """def dense_intensity(batch, d_in, d_out, bytes_per_element=2):
    if batch <= 0 or d_in <= 0 or d_out <= 0 or bytes_per_element <= 0:
        raise ValueError("sizes and bytes_per_element must be positive")
    return 2 * batch * d_in * d_out / (bytes_per_element * (batch * d_in + d_in * d_out + batch * d_out))


def compute_bound_batch(d_in, d_out, ridge, bytes_per_element=2):
    if d_in <= 0 or d_out <= 0 or ridge <= 0 or bytes_per_element <= 0:
        raise ValueError("sizes, ridge and bytes_per_element must be positive")
    limit = 2 * d_in * d_out / (bytes_per_element * (d_in + d_out))
    if limit <= ridge:
        raise ValueError(f"the intensity never exceeds {limit}")
    batch = 1
    while dense_intensity(batch, d_in, d_out, bytes_per_element) < ridge:
        batch += 1
    return batch""",
        "doubling, then bisection": """def dense_intensity(batch, d_in, d_out, bytes_per_element=2):
    if min(batch, d_in, d_out, bytes_per_element) <= 0:
        raise ValueError("must be positive")
    flops = 2.0 * batch * d_in * d_out
    return flops / (bytes_per_element * (batch * (d_in + d_out) + d_in * d_out))


def compute_bound_batch(d_in, d_out, ridge, bytes_per_element=2):
    if min(d_in, d_out, ridge, bytes_per_element) <= 0:
        raise ValueError("must be positive")
    if 2 * d_in * d_out <= ridge * bytes_per_element * (d_in + d_out):
        raise ValueError("unreachable ridge")
    high = 1
    while dense_intensity(high, d_in, d_out, bytes_per_element) < ridge:
        high *= 2
    low = high // 2  # fails (or is 0)
    while high - low > 1:
        mid = (low + high) // 2
        if dense_intensity(mid, d_in, d_out, bytes_per_element) >= ridge:
            high = mid
        else:
            low = mid
    return high""",
        "closed form with math.ceil, checked": """import math


def dense_intensity(batch, d_in, d_out, bytes_per_element=2):
    if not (batch > 0 and d_in > 0 and d_out > 0 and bytes_per_element > 0):
        raise ValueError("positive sizes please")
    return (2 * batch * d_in * d_out) / (bytes_per_element * (batch * d_in + d_in * d_out + batch * d_out))


def compute_bound_batch(d_in, d_out, ridge, bytes_per_element=2):
    if not (d_in > 0 and d_out > 0 and ridge > 0 and bytes_per_element > 0):
        raise ValueError("positive inputs please")
    b = bytes_per_element
    denominator = 2 * d_in * d_out - ridge * b * (d_in + d_out)
    if denominator <= 0:
        raise ValueError("no batch is compute-bound")
    batch = max(1, int(math.ceil(ridge * b * d_in * d_out / denominator)))
    if batch > 1 and dense_intensity(batch - 1, d_in, d_out, b) >= ridge:
        batch -= 1
    return int(batch)""",
    },
    "mfu": {
        "a loop over layers, 2 + 4 FLOPs per multiply-add": """def mlp_training_flops(widths, batch):
    widths = list(widths)
    if len(widths) < 2:
        raise ValueError("need an input and at least one layer")
    if batch < 1 or any(w < 1 for w in widths):
        raise ValueError("widths and batch must be >= 1")
    total = 0
    for i in range(len(widths) - 1):
        macs = batch * widths[i] * widths[i + 1]
        forward = 2 * macs
        backward = 2 * (2 * macs)
        total += forward + backward
    return total


def mfu(flops_per_step, step_seconds, peak_flops):
    if flops_per_step <= 0 or step_seconds <= 0 or peak_flops <= 0:
        raise ValueError("arguments must be positive")
    achieved = flops_per_step / step_seconds
    return achieved / peak_flops""",
        "6 × batch × parameters of the kernels, with NumPy": """import numpy as np


def mlp_training_flops(widths, batch):
    w = np.array(widths, dtype=np.int64)
    if w.size < 2 or (w < 1).any() or batch < 1:
        raise ValueError("invalid widths or batch")
    kernel_parameters = int(np.sum(w[:-1] * w[1:]))
    return int(6 * batch * kernel_parameters)


def mfu(flops_per_step, step_seconds, peak_flops):
    if min(flops_per_step, step_seconds, peak_flops) <= 0:
        raise ValueError("all arguments must be > 0")
    return float(flops_per_step) / (float(step_seconds) * float(peak_flops))""",
    },
}

WRONG = {
    "choose_strategy": {
        "several hosts checked before the TPU": """def choose_strategy(tpu_available, num_gpus, num_hosts=1):
    if not isinstance(tpu_available, bool) or not isinstance(num_gpus, int) or not isinstance(num_hosts, int):
        raise ValueError("bad types")
    if num_gpus < 0 or num_hosts < 1:
        raise ValueError("bad counts")
    if num_hosts > 1:
        return "MultiWorkerMirroredStrategy"
    if tpu_available:
        return "TPUStrategy"
    if num_gpus > 1:
        return "MirroredStrategy"
    return "OneDeviceStrategy" if num_gpus == 1 else "default"
""",
        "one GPU mirrored too": """def choose_strategy(tpu_available, num_gpus, num_hosts=1):
    if not isinstance(tpu_available, bool) or not isinstance(num_gpus, int) or not isinstance(num_hosts, int):
        raise ValueError("bad types")
    if num_gpus < 0 or num_hosts < 1:
        raise ValueError("bad counts")
    if tpu_available:
        return "TPUStrategy"
    if num_hosts > 1:
        return "MultiWorkerMirroredStrategy"
    if num_gpus >= 1:
        return "MirroredStrategy"
    return "default"
""",
        "no validation": """def choose_strategy(tpu_available, num_gpus, num_hosts=1):
    if tpu_available:
        return "TPUStrategy"
    if num_hosts > 1:
        return "MultiWorkerMirroredStrategy"
    if num_gpus > 1:
        return "MirroredStrategy"
    if num_gpus == 1:
        return "OneDeviceStrategy"
    return "default"
""",
    },
    "to_bfloat16": {
        "truncates instead of rounding": """def to_bfloat16(x):
    bits = np.asarray(x, dtype=np.float32).view(np.uint32)
    return (bits & np.uint32(0xFFFF0000)).view(np.float32)""",
        "rounds half up, not to even": """def to_bfloat16(x):
    bits = np.asarray(x, dtype=np.float32).view(np.uint32)
    return ((bits + np.uint32(0x8000)) & np.uint32(0xFFFF0000)).view(np.float32)""",
        "rounds in place, changing the input": """def to_bfloat16(x):
    bits = np.asarray(x, dtype=np.float32).view(np.uint32)
    bits += np.uint32(0x7FFF) + ((bits >> np.uint32(16)) & np.uint32(1))
    bits &= np.uint32(0xFFFF0000)
    return bits.view(np.float32)""",
    },
    "conv2d_intensity": {
        "forgets the filters' bytes": """def conv2d_intensity(batch, height, width, in_channels, out_channels, kernel_size, bytes_per_element=4):
    if min(batch, height, width, in_channels, out_channels, kernel_size, bytes_per_element) <= 0:
        raise ValueError("sizes must be positive")
    pixels = batch * height * width
    flops = 2 * pixels * in_channels * out_channels * kernel_size**2
    return flops / (bytes_per_element * pixels * (in_channels + out_channels))""",
        "counts a multiply-add as one FLOP": """def conv2d_intensity(batch, height, width, in_channels, out_channels, kernel_size, bytes_per_element=4):
    if min(batch, height, width, in_channels, out_channels, kernel_size, bytes_per_element) <= 0:
        raise ValueError("sizes must be positive")
    pixels = batch * height * width
    flops = pixels * in_channels * out_channels * kernel_size**2
    elements = pixels * in_channels + kernel_size**2 * in_channels * out_channels + pixels * out_channels
    return flops / (bytes_per_element * elements)""",
        "no validation": """def conv2d_intensity(batch, height, width, in_channels, out_channels, kernel_size, bytes_per_element=4):
    pixels = batch * height * width
    flops = 2 * pixels * in_channels * out_channels * kernel_size**2
    elements = pixels * in_channels + kernel_size**2 * in_channels * out_channels + pixels * out_channels
    return flops / (bytes_per_element * elements)""",
    },
    "dense_batch": {
        "weights only in the bytes (the batch-1 view)": """def dense_intensity(batch, d_in, d_out, bytes_per_element=2):
    if min(batch, d_in, d_out, bytes_per_element) <= 0:
        raise ValueError("must be positive")
    return 2 * batch * d_in * d_out / (bytes_per_element * d_in * d_out)


def compute_bound_batch(d_in, d_out, ridge, bytes_per_element=2):
    if min(d_in, d_out, ridge, bytes_per_element) <= 0:
        raise ValueError("must be positive")
    batch = 1
    while dense_intensity(batch, d_in, d_out, bytes_per_element) < ridge:
        batch += 1
    return batch""",
        "the closed form rounded down": """def dense_intensity(batch, d_in, d_out, bytes_per_element=2):
    if min(batch, d_in, d_out, bytes_per_element) <= 0:
        raise ValueError("must be positive")
    return 2 * batch * d_in * d_out / (bytes_per_element * (batch * d_in + d_in * d_out + batch * d_out))


def compute_bound_batch(d_in, d_out, ridge, bytes_per_element=2):
    if min(d_in, d_out, ridge, bytes_per_element) <= 0:
        raise ValueError("must be positive")
    gain = 2 * d_in * d_out - ridge * bytes_per_element * (d_in + d_out)
    if gain <= 0:
        raise ValueError("unreachable")
    return max(1, int(ridge * bytes_per_element * d_in * d_out / gain))""",
        "the batch-as-ridge rule of thumb": """def dense_intensity(batch, d_in, d_out, bytes_per_element=2):
    if min(batch, d_in, d_out, bytes_per_element) <= 0:
        raise ValueError("must be positive")
    return 2 * batch * d_in * d_out / (bytes_per_element * (batch * d_in + d_in * d_out + batch * d_out))


def compute_bound_batch(d_in, d_out, ridge, bytes_per_element=2):
    if min(d_in, d_out, ridge, bytes_per_element) <= 0:
        raise ValueError("must be positive")
    if 2 * d_in * d_out <= ridge * bytes_per_element * (d_in + d_out):
        raise ValueError("unreachable")
    return max(1, round(ridge * bytes_per_element / 2))""",
        "returns a float batch": """import math


def dense_intensity(batch, d_in, d_out, bytes_per_element=2):
    if min(batch, d_in, d_out, bytes_per_element) <= 0:
        raise ValueError("must be positive")
    return 2 * batch * d_in * d_out / (bytes_per_element * (batch * d_in + d_in * d_out + batch * d_out))


def compute_bound_batch(d_in, d_out, ridge, bytes_per_element=2):
    if min(d_in, d_out, ridge, bytes_per_element) <= 0:
        raise ValueError("must be positive")
    gain = 2 * d_in * d_out - ridge * bytes_per_element * (d_in + d_out)
    if gain <= 0:
        raise ValueError("unreachable")
    return float(max(1, math.ceil(ridge * bytes_per_element * d_in * d_out / gain)))""",
    },
    "mfu": {
        "forward pass only (2 FLOPs per multiply-add)": """def mlp_training_flops(widths, batch):
    if len(widths) < 2 or min(widths) < 1 or batch < 1:
        raise ValueError("invalid")
    return 2 * batch * sum(a * b for a, b in zip(widths[:-1], widths[1:]))


def mfu(flops_per_step, step_seconds, peak_flops):
    if min(flops_per_step, step_seconds, peak_flops) <= 0:
        raise ValueError("invalid")
    return flops_per_step / step_seconds / peak_flops""",
        "counts the biases as parameters": """def mlp_training_flops(widths, batch):
    if len(widths) < 2 or min(widths) < 1 or batch < 1:
        raise ValueError("invalid")
    parameters = sum((a + 1) * b for a, b in zip(widths[:-1], widths[1:]))
    return 6 * batch * parameters


def mfu(flops_per_step, step_seconds, peak_flops):
    if min(flops_per_step, step_seconds, peak_flops) <= 0:
        raise ValueError("invalid")
    return flops_per_step / step_seconds / peak_flops""",
        "MFU multiplied by the time": """def mlp_training_flops(widths, batch):
    if len(widths) < 2 or min(widths) < 1 or batch < 1:
        raise ValueError("invalid")
    return 6 * batch * sum(a * b for a, b in zip(widths[:-1], widths[1:]))


def mfu(flops_per_step, step_seconds, peak_flops):
    if min(flops_per_step, step_seconds, peak_flops) <= 0:
        raise ValueError("invalid")
    return flops_per_step * step_seconds / peak_flops""",
        "skips the first layer's input gradient, as Keras does": """def mlp_training_flops(widths, batch):
    widths = list(widths)
    if len(widths) < 2 or min(widths) < 1 or batch < 1:
        raise ValueError("invalid")
    total = 6 * batch * sum(a * b for a, b in zip(widths[:-1], widths[1:]))
    return total - 2 * batch * widths[0] * widths[1]


def mfu(flops_per_step, step_seconds, peak_flops):
    if min(flops_per_step, step_seconds, peak_flops) <= 0:
        raise ValueError("invalid")
    return flops_per_step / step_seconds / peak_flops""",
        "no validation in mfu": """def mlp_training_flops(widths, batch):
    if len(widths) < 2 or min(widths) < 1 or batch < 1:
        raise ValueError("invalid")
    return 6 * batch * sum(a * b for a, b in zip(widths[:-1], widths[1:]))


def mfu(flops_per_step, step_seconds, peak_flops):
    return flops_per_step / step_seconds / peak_flops""",
    },
}
