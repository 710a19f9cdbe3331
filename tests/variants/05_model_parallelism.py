"""Other answers to 05_model_parallelism's exercises, written as students plausibly would: each
right one must earn the exercise's full marks, each wrong one nothing."""

RIGHT = {
    "bubble_fraction": {
        "idle slots over all slots": """\
def bubble_fraction(num_stages, num_micro_batches):
    if num_stages <= 0 or num_micro_batches <= 0:
        raise ValueError("need at least one stage and one micro-batch")
    slots = num_micro_batches + num_stages - 1
    idle = slots - num_micro_batches
    return idle / slots""",
        "one minus the busy share, validation in a loop": """\
def bubble_fraction(num_stages, num_micro_batches):
    for count in (num_stages, num_micro_batches):
        if count < 1:
            raise ValueError(f"counts must be at least 1, got {count}")
    return 1.0 - num_micro_batches / (num_micro_batches + num_stages - 1)""",
        "exact fractions": """\
from fractions import Fraction


def bubble_fraction(num_stages, num_micro_batches):
    if min(num_stages, num_micro_batches) < 1:
        raise ValueError("bad counts")
    return float(Fraction(num_stages - 1, num_micro_batches + num_stages - 1))""",
    },
    "column_parallel_dense": {
        "slices by index, validation first": """\
def column_parallel_dense(x, kernel, bias, devices):
    n = len(devices)
    d_out = kernel.shape[1]
    if d_out % n != 0:
        raise ValueError(f"{d_out} columns do not split over {n} devices")
    width = d_out // n
    blocks = []
    for i in range(n):
        with tf.device(devices[i]):
            k = kernel[:, i * width:(i + 1) * width]
            b = bias[i * width:(i + 1) * width]
            blocks.append(tf.linalg.matmul(x, k) + b)
    return tf.concat(blocks, axis=1)""",
        "tf.split with bias_add": """\
def column_parallel_dense(x, kernel, bias, devices):
    if int(kernel.shape[-1]) % len(devices):
        raise ValueError("d_out must be divisible by the number of devices")
    kernels = tf.split(kernel, len(devices), axis=1)
    biases = tf.split(bias, len(devices))
    results = []
    for i, device in enumerate(devices):
        with tf.device(device):
            results.append(tf.nn.bias_add(x @ kernels[i], biases[i]))
    return tf.concat(results, -1)""",
        "einsum per device": """\
def column_parallel_dense(x, kernel, bias, devices):
    num = len(devices)
    cols = kernel.shape[1]
    if cols % num:
        raise ValueError("uneven split")
    step = cols // num
    out = []
    for d, start in zip(devices, range(0, cols, step)):
        with tf.device(d):
            block = kernel[:, start:start + step]
            out.append(tf.einsum("bi,io->bo", x, block) + bias[start:start + step])
    return tf.concat(out, axis=1)""",
    },
    "row_parallel_layouts": {
        "Layout's helpers for the inner and the outer axis": """\
def row_parallel_layouts(mesh):
    name = mesh.dim_names[0]
    x_layout = dtensor.Layout.inner_sharded(mesh, name, rank=2)
    kernel_layout = dtensor.Layout.batch_sharded(mesh, name, rank=2)
    return x_layout, kernel_layout""",
        "sharding specs as lists": """\
def row_parallel_layouts(mesh):
    (axis,) = mesh.dim_names
    specs_x = ["unsharded", axis]
    specs_kernel = [axis, "unsharded"]
    return (dtensor.Layout(specs_x, mesh), dtensor.Layout(specs_kernel, mesh))""",
    },
    "choose_scheme": {
        "memory compared directly, integer ceiling": """\
def choose_scheme(num_params, device_memory_gb, num_devices, global_batch, devices_per_host=8):
    for value in (num_params, device_memory_gb, num_devices, global_batch, devices_per_host):
        if value <= 0:
            raise ValueError("arguments must be positive")
    state = 16 * num_params
    memory = device_memory_gb * 1e9
    if state / num_devices > memory:
        raise ValueError("the state does not fit even sharded over every device")
    if global_batch >= num_devices:
        if state <= memory:
            return "data"
        return "sharded data"
    group = -(-num_devices // global_batch)
    if group > devices_per_host:
        return "tensor+pipeline"
    return "tensor"
""",
        "the cases in another order": """\
import math


def choose_scheme(num_params, device_memory_gb, num_devices, global_batch, devices_per_host=8):
    values = [num_params, device_memory_gb, num_devices, global_batch, devices_per_host]
    if not all(v > 0 for v in values):
        raise ValueError("all arguments must be > 0")
    k = math.ceil(num_params * 16 / 1e9 / device_memory_gb)
    if k > num_devices:
        raise ValueError(f"needs {k} devices, has {num_devices}")
    g = math.ceil(num_devices / global_batch)
    if g > devices_per_host:
        return "tensor+pipeline"
    if g > 1:
        return "tensor"
    return "sharded data" if k > 1 else "data"
""",
    },
}

WRONG = {
    "bubble_fraction": {
        "1 − 1/p, the m = 1 value for every m": """\
def bubble_fraction(num_stages, num_micro_batches):
    if num_stages < 1 or num_micro_batches < 1:
        raise ValueError("counts must be at least 1")
    return 1 - 1 / num_stages""",
        "(p − 1)/(p·m)": """\
def bubble_fraction(num_stages, num_micro_batches):
    if num_stages < 1 or num_micro_batches < 1:
        raise ValueError("counts must be at least 1")
    return (num_stages - 1) / (num_stages * num_micro_batches)""",
        "(p − 1)/m, the other convention, not a share of the step": """\
def bubble_fraction(num_stages, num_micro_batches):
    if num_stages < 1 or num_micro_batches < 1:
        raise ValueError("counts must be at least 1")
    return (num_stages - 1) / num_micro_batches""",
        "no validation": """\
def bubble_fraction(num_stages, num_micro_batches):
    return (num_stages - 1) / (num_micro_batches + num_stages - 1)""",
        "validation accepts zero": """\
def bubble_fraction(num_stages, num_micro_batches):
    if num_stages < 0 or num_micro_batches < 0:
        raise ValueError("counts must not be negative")
    return (num_stages - 1) / (num_micro_batches + num_stages - 1)""",
    },
    "column_parallel_dense": {
        "the unsharded product with a divisibility check": """\
def column_parallel_dense(x, kernel, bias, devices):
    if kernel.shape[1] % len(devices):
        raise ValueError("uneven split")
    return x @ kernel + bias""",
        "the whole product, then its slices copied to the devices": """\
def column_parallel_dense(x, kernel, bias, devices):
    n = len(devices)
    if kernel.shape[1] % n:
        raise ValueError("uneven split")
    full = x @ kernel + bias
    blocks = []
    for device, block in zip(devices, tf.split(full, n, axis=1)):
        with tf.device(device):
            blocks.append(tf.identity(block))
    return tf.concat(blocks, axis=1)""",
        "split, but every block on the default device": """\
def column_parallel_dense(x, kernel, bias, devices):
    n = len(devices)
    if kernel.shape[1] % n:
        raise ValueError("uneven split")
    blocks = [x @ k + b for k, b in zip(tf.split(kernel, n, axis=1), tf.split(bias, n))]
    return tf.concat(blocks, axis=1)""",
        "every block on the first device": """\
def column_parallel_dense(x, kernel, bias, devices):
    n = len(devices)
    if kernel.shape[1] % n:
        raise ValueError("uneven split")
    blocks = []
    for k, b in zip(tf.split(kernel, n, axis=1), tf.split(bias, n)):
        with tf.device(devices[0]):
            blocks.append(x @ k + b)
    return tf.concat(blocks, axis=1)""",
        "no check of the split: TensorFlow's own error": """\
def column_parallel_dense(x, kernel, bias, devices):
    n = len(devices)
    blocks = []
    for device, k, b in zip(devices, tf.split(kernel, n, axis=1), tf.split(bias, n)):
        with tf.device(device):
            blocks.append(x @ k + b)
    return tf.concat(blocks, axis=1)""",
    },
    "row_parallel_layouts": {
        "the column-parallel layouts": """\
def row_parallel_layouts(mesh):
    name = mesh.dim_names[0]
    return (dtensor.Layout.replicated(mesh, rank=2),
            dtensor.Layout([dtensor.UNSHARDED, name], mesh))""",
        "input and kernel swapped": """\
def row_parallel_layouts(mesh):
    name = mesh.dim_names[0]
    return (dtensor.Layout([name, dtensor.UNSHARDED], mesh),
            dtensor.Layout([dtensor.UNSHARDED, name], mesh))""",
        "everything replicated: right product, nothing sharded": """\
def row_parallel_layouts(mesh):
    return dtensor.Layout.replicated(mesh, rank=2), dtensor.Layout.replicated(mesh, rank=2)""",
        "the mesh dimension's name hard-coded": """\
def row_parallel_layouts(mesh):
    return (dtensor.Layout([dtensor.UNSHARDED, "model"], mesh),
            dtensor.Layout(["model", dtensor.UNSHARDED], mesh))""",
    },
    "choose_scheme": {
        "model parallelism whenever the state does not fit one device": """\
import math


def choose_scheme(num_params, device_memory_gb, num_devices, global_batch, devices_per_host=8):
    if min(num_params, device_memory_gb, num_devices, global_batch, devices_per_host) <= 0:
        raise ValueError("every argument must be positive")
    k = math.ceil(16 * num_params / (device_memory_gb * 1e9))
    if k > num_devices:
        raise ValueError("does not fit")
    if k == 1:
        return "data"
    return "tensor" if k <= devices_per_host else "tensor+pipeline"
""",
        "the batch ignored": """\
import math


def choose_scheme(num_params, device_memory_gb, num_devices, global_batch, devices_per_host=8):
    if min(num_params, device_memory_gb, num_devices, global_batch, devices_per_host) <= 0:
        raise ValueError("every argument must be positive")
    k = math.ceil(16 * num_params / (device_memory_gb * 1e9))
    if k > num_devices:
        raise ValueError("does not fit")
    return "data" if k == 1 else "sharded data"
""",
        "group size rounded down": """\
import math


def choose_scheme(num_params, device_memory_gb, num_devices, global_batch, devices_per_host=8):
    if min(num_params, device_memory_gb, num_devices, global_batch, devices_per_host) <= 0:
        raise ValueError("every argument must be positive")
    k = math.ceil(16 * num_params / (device_memory_gb * 1e9))
    if k > num_devices:
        raise ValueError("does not fit")
    if global_batch >= num_devices:
        return "data" if k == 1 else "sharded data"
    g = max(2, num_devices // global_batch)
    return "tensor" if g <= devices_per_host else "tensor+pipeline"
""",
        "needs more examples than devices (off by one)": """\
import math


def choose_scheme(num_params, device_memory_gb, num_devices, global_batch, devices_per_host=8):
    if min(num_params, device_memory_gb, num_devices, global_batch, devices_per_host) <= 0:
        raise ValueError("every argument must be positive")
    k = math.ceil(16 * num_params / (device_memory_gb * 1e9))
    if k > num_devices:
        raise ValueError("does not fit")
    if global_batch > num_devices:
        return "data" if k == 1 else "sharded data"
    g = math.ceil(num_devices / global_batch)
    return "tensor" if g <= devices_per_host else "tensor+pipeline"
""",
        "no check that the batch is positive": """\
import math


def choose_scheme(num_params, device_memory_gb, num_devices, global_batch, devices_per_host=8):
    if min(num_params, device_memory_gb, num_devices, devices_per_host) <= 0:
        raise ValueError("every argument must be positive")
    k = math.ceil(16 * num_params / (device_memory_gb * 1e9))
    if k > num_devices:
        raise ValueError("does not fit")
    if global_batch >= num_devices:
        return "data" if k == 1 else "sharded data"
    g = math.ceil(num_devices / global_batch)
    return "tensor" if g <= devices_per_host else "tensor+pipeline"
""",
    },
}
