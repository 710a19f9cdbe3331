"""Other answers to 02_input_pipelines's exercises, written as students plausibly would: each right
one must earn the exercise's full marks, each wrong one nothing."""

RIGHT = {
    "epoch_time": {
        "simulates the two stages batch by batch, numbers.Integral": """\
import numbers


def epoch_time(input_seconds, step_seconds, batches, prefetch):
    if not isinstance(batches, numbers.Integral):
        raise TypeError("batches must be an integer")
    if batches < 1:
        raise ValueError("batches must be at least 1")
    if input_seconds < 0 or step_seconds < 0:
        raise ValueError("times must not be negative")
    if not prefetch:
        total = 0.0
        for _ in range(batches):
            total += input_seconds + step_seconds
        return total
    input_done = train_done = 0.0
    for _ in range(batches):
        input_done += input_seconds  # the input never waits
        train_done = max(train_done, input_done) + step_seconds
    return train_done""",
        "operator.index for the count, times checked first": """\
import operator


def epoch_time(input_seconds, step_seconds, batches, prefetch):
    if min(input_seconds, step_seconds) < 0:
        raise ValueError(f"negative time: {input_seconds}, {step_seconds}")
    batches = operator.index(batches)  # TypeError for 2.5 and for 3.0
    if batches <= 0:
        raise ValueError(f"need at least one batch, got {batches}")
    if prefetch:
        slow = input_seconds if input_seconds > step_seconds else step_seconds
        return float(input_seconds + step_seconds + (batches - 1) * slow)
    return float(batches * input_seconds + batches * step_seconds)""",
        "fill, steady state and drain written as a sum": """\
def epoch_time(input_seconds, step_seconds, batches, prefetch):
    if isinstance(batches, float) or not hasattr(batches, "__index__"):
        raise TypeError("batches must be a whole number, not " + type(batches).__name__)
    if batches < 1:
        raise ValueError("batches < 1")
    for t in (input_seconds, step_seconds):
        if t < 0:
            raise ValueError("negative time")
    if prefetch:
        fill, drain = input_seconds, step_seconds
        steady = (batches - 1) * max(input_seconds, step_seconds)
        return fill + steady + drain
    return (input_seconds + step_seconds) * batches""",
    },
    "fast_pipeline": {
        "cache after batch, two calls, prefetch(1)": """\
def fast_pipeline(records, labels, batch_size):
    dataset = tf.data.Dataset.from_tensor_slices((records, labels)).filter(is_jpeg)
    dataset = dataset.map(decode, num_parallel_calls=2)
    dataset = dataset.batch(batch_size).cache()
    return dataset.prefetch(1)""",
        "AUTOTUNE, not deterministic, prefetch(2)": """\
def fast_pipeline(records, labels, batch_size):
    ds = tf.data.Dataset.from_tensor_slices((records, labels))
    ds = ds.filter(is_jpeg)
    ds = ds.map(decode, num_parallel_calls=tf.data.AUTOTUNE, deterministic=False)
    ds = ds.cache()
    ds = ds.batch(batch_size)
    ds = ds.prefetch(buffer_size=2)
    return ds""",
        "one call per core, options kept from the naive pipeline": """\
import os


def fast_pipeline(records, labels, batch_size):
    calls = max(2, os.cpu_count() or 2)
    return (
        tf.data.Dataset.from_tensor_slices((records, labels))
        .filter(is_jpeg)
        .map(decode, num_parallel_calls=calls)
        .cache()
        .batch(batch_size)
        .prefetch(tf.data.AUTOTUNE)
        .with_options(NO_AUTOMATIC)
    )""",
    },
}

WRONG = {
    "epoch_time": {
        "accepts a whole float such as 3.0": """\
def epoch_time(input_seconds, step_seconds, batches, prefetch):
    if batches != int(batches):
        raise TypeError("batches must be whole")
    if batches < 1 or input_seconds < 0 or step_seconds < 0:
        raise ValueError("bad input")
    if not prefetch:
        return batches * (input_seconds + step_seconds)
    return input_seconds + (batches - 1) * max(input_seconds, step_seconds) + step_seconds""",
        "prefetch: every batch at the slower pace, no fill or drain": """\
def epoch_time(input_seconds, step_seconds, batches, prefetch):
    if not isinstance(batches, (int, np.integer)):
        raise TypeError("batches must be an int")
    if batches < 1 or input_seconds < 0 or step_seconds < 0:
        raise ValueError("bad input")
    if not prefetch:
        return batches * (input_seconds + step_seconds)
    return batches * max(input_seconds, step_seconds)""",
        "prefetch: one stage too many (off by one)": """\
def epoch_time(input_seconds, step_seconds, batches, prefetch):
    if not isinstance(batches, (int, np.integer)):
        raise TypeError("batches must be an int")
    if batches < 1 or input_seconds < 0 or step_seconds < 0:
        raise ValueError("bad input")
    if not prefetch:
        return batches * (input_seconds + step_seconds)
    return input_seconds + batches * max(input_seconds, step_seconds) + step_seconds""",
        "negative times not rejected": """\
def epoch_time(input_seconds, step_seconds, batches, prefetch):
    if not isinstance(batches, (int, np.integer)):
        raise TypeError("batches must be an int")
    if batches < 1:
        raise ValueError("batches must be at least 1")
    if not prefetch:
        return batches * (input_seconds + step_seconds)
    return input_seconds + (batches - 1) * max(input_seconds, step_seconds) + step_seconds""",
        "ValueError instead of TypeError for a float count": """\
def epoch_time(input_seconds, step_seconds, batches, prefetch):
    if not isinstance(batches, (int, np.integer)) or batches < 1:
        raise ValueError("batches must be a whole number of at least 1")
    if input_seconds < 0 or step_seconds < 0:
        raise ValueError("bad input")
    if not prefetch:
        return batches * (input_seconds + step_seconds)
    return input_seconds + (batches - 1) * max(input_seconds, step_seconds) + step_seconds""",
    },
    "fast_pipeline": {
        "no cache": """\
def fast_pipeline(records, labels, batch_size):
    dataset = tf.data.Dataset.from_tensor_slices((records, labels)).filter(is_jpeg)
    dataset = dataset.map(decode, num_parallel_calls=tf.data.AUTOTUNE)
    return dataset.batch(batch_size).prefetch(tf.data.AUTOTUNE)""",
        "cache before the decoding map": """\
def fast_pipeline(records, labels, batch_size):
    dataset = tf.data.Dataset.from_tensor_slices((records, labels)).filter(is_jpeg).cache()
    dataset = dataset.map(decode, num_parallel_calls=tf.data.AUTOTUNE)
    return dataset.batch(batch_size).prefetch(tf.data.AUTOTUNE)""",
        "decodes everything into a tensor first": """\
def fast_pipeline(records, labels, batch_size):
    images, kept = [], []
    for record, label in zip(records, labels):
        if record[:3] == b"\\xff\\xd8\\xff":
            image, label = decode(record, label)
            images.append(image)
            kept.append(label)
    dataset = tf.data.Dataset.from_tensor_slices((tf.stack(images), tf.stack(kept)))
    return dataset.cache().batch(batch_size).prefetch(tf.data.AUTOTUNE)""",
        "fills the cache while building": """\
def fast_pipeline(records, labels, batch_size):
    dataset = tf.data.Dataset.from_tensor_slices((records, labels)).filter(is_jpeg)
    dataset = dataset.map(decode, num_parallel_calls=tf.data.AUTOTUNE).cache()
    for _ in dataset:  # warm the cache so that training starts fast
        pass
    return dataset.batch(batch_size).prefetch(tf.data.AUTOTUNE)""",
        "sequential map": """\
def fast_pipeline(records, labels, batch_size):
    dataset = tf.data.Dataset.from_tensor_slices((records, labels)).filter(is_jpeg)
    dataset = dataset.map(decode).cache()
    return dataset.batch(batch_size).prefetch(tf.data.AUTOTUNE)""",
        "no prefetch": """\
def fast_pipeline(records, labels, batch_size):
    dataset = tf.data.Dataset.from_tensor_slices((records, labels)).filter(is_jpeg)
    dataset = dataset.map(decode, num_parallel_calls=tf.data.AUTOTUNE).cache()
    return dataset.batch(batch_size)""",
        "num_parallel_calls=1: a parallel map that runs one call at a time": """\
def fast_pipeline(records, labels, batch_size):
    dataset = tf.data.Dataset.from_tensor_slices((records, labels)).filter(is_jpeg)
    dataset = dataset.map(decode, num_parallel_calls=1).cache()
    return dataset.batch(batch_size).prefetch(tf.data.AUTOTUNE)""",
        "prefetch before the cache, not last": """\
def fast_pipeline(records, labels, batch_size):
    dataset = tf.data.Dataset.from_tensor_slices((records, labels)).filter(is_jpeg)
    dataset = dataset.map(decode, num_parallel_calls=tf.data.AUTOTUNE)
    return dataset.batch(batch_size).prefetch(tf.data.AUTOTUNE).cache()""",
        "repeat(): a dataset that never ends": """\
def fast_pipeline(records, labels, batch_size):
    dataset = tf.data.Dataset.from_tensor_slices((records, labels)).filter(is_jpeg)
    dataset = dataset.map(decode, num_parallel_calls=tf.data.AUTOTUNE).cache()
    return dataset.repeat().batch(batch_size).prefetch(tf.data.AUTOTUNE)""",
        "batch size hard-coded to 32": """\
def fast_pipeline(records, labels, batch_size):
    dataset = tf.data.Dataset.from_tensor_slices((records, labels)).filter(is_jpeg)
    dataset = dataset.map(decode, num_parallel_calls=tf.data.AUTOTUNE).cache()
    return dataset.batch(32).prefetch(tf.data.AUTOTUNE)""",
    },
}
