"""Other answers to 08_distillation's exercises, written as students plausibly would: each right one
must earn the exercise's full marks, each wrong one nothing."""

RIGHT = {
    "softmax_with_temperature": {
        "scipy's logsumexp, exponentiated": """import numpy as np
from scipy.special import logsumexp


def softmax_with_temperature(logits, temperature=1.0):
    if temperature <= 0:
        raise ValueError("temperature must be > 0")
    z = np.asarray(logits, dtype=float) / temperature
    return np.exp(z - logsumexp(z, axis=-1, keepdims=True))""",
        "TensorFlow's softmax on shifted float64 logits": """import numpy as np
import tensorflow as tf


def softmax_with_temperature(logits, temperature=1.0):
    if not temperature > 0:
        raise ValueError(f"bad temperature {temperature}")
    z = tf.constant(np.asarray(logits, dtype=np.float64)) / temperature
    return tf.nn.softmax(z, axis=-1).numpy()""",
        "a loop over the rows of a 2-D view": """import numpy as np


def softmax_with_temperature(logits, temperature=1.0):
    if temperature <= 0:
        raise ValueError("temperature must be positive")
    z = np.array(logits, dtype=np.float64)
    flat = z.reshape(-1, z.shape[-1])
    out = np.empty_like(flat)
    for i, row in enumerate(flat):
        e = np.exp((row - row.max()) / temperature)
        out[i] = e / e.sum()
    return out.reshape(z.shape)""",
    },
    "distillation_loss": {
        "scipy's log_softmax, KL as cross-entropy minus entropy": """import numpy as np
from scipy.special import log_softmax


def distillation_loss(labels, teacher_logits, student_logits, temperature, alpha):
    zt = np.asarray(teacher_logits, dtype=np.float64)
    zs = np.asarray(student_logits, dtype=np.float64)
    y = np.asarray(labels).astype(int)
    ce = -np.mean(log_softmax(zs, axis=1)[np.arange(len(y)), y])
    lp = log_softmax(zt / temperature, axis=1)
    lq = log_softmax(zs / temperature, axis=1)
    p = np.exp(lp)
    cross = -(p * lq).sum(axis=1)
    entropy = -(p * lp).sum(axis=1)
    kl = np.mean(cross - entropy)
    return float(alpha * ce + (1 - alpha) * temperature ** 2 * kl)""",
        "TensorFlow ops in float64, a loop-free one-hot for the labels": """import numpy as np
import tensorflow as tf


def distillation_loss(labels, teacher_logits, student_logits, temperature, alpha):
    zt = tf.constant(np.asarray(teacher_logits, dtype=np.float64))
    zs = tf.constant(np.asarray(student_logits, dtype=np.float64))
    one_hot = tf.one_hot(np.asarray(labels, dtype=np.int64), zs.shape[-1], dtype=tf.float64)
    hard = -tf.reduce_mean(tf.reduce_sum(one_hot * tf.nn.log_softmax(zs), axis=-1))
    log_p = tf.nn.log_softmax(zt / temperature)
    log_q = tf.nn.log_softmax(zs / temperature)
    kl = tf.reduce_mean(tf.reduce_sum(tf.exp(log_p) * (log_p - log_q), axis=-1))
    return float(alpha * hard + (1 - alpha) * temperature * temperature * kl)""",
        "per-example loop": """import numpy as np


def distillation_loss(labels, teacher_logits, student_logits, temperature, alpha):
    def log_softmax(v):
        v = v - v.max()
        return v - np.log(np.sum(np.exp(v)))

    total_hard, total_kl = 0.0, 0.0
    teacher, student = np.asarray(teacher_logits, float), np.asarray(student_logits, float)
    for y, zt, zs in zip(labels, teacher, student):
        total_hard += -log_softmax(zs)[int(y)]
        lp, lq = log_softmax(zt / temperature), log_softmax(zs / temperature)
        total_kl += float(np.sum(np.exp(lp) * (lp - lq)))
    n = len(labels)
    return alpha * total_hard / n + (1 - alpha) * temperature**2 * total_kl / n""",
    },
}

WRONG = {
    "softmax_with_temperature": {
        "multiplies by the temperature": """import numpy as np


def softmax_with_temperature(logits, temperature=1.0):
    if temperature <= 0:
        raise ValueError("temperature must be positive")
    z = np.asarray(logits, dtype=np.float64) * temperature
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)""",
        "no shift: overflows on large logits": """import numpy as np


def softmax_with_temperature(logits, temperature=1.0):
    if temperature <= 0:
        raise ValueError("temperature must be positive")
    e = np.exp(np.asarray(logits, dtype=np.float64) / temperature)
    return e / e.sum(axis=-1, keepdims=True)""",
        "normalises over the first axis": """import numpy as np


def softmax_with_temperature(logits, temperature=1.0):
    if temperature <= 0:
        raise ValueError("temperature must be positive")
    z = np.asarray(logits, dtype=np.float64) / temperature
    e = np.exp(z - z.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)""",
        "no check of the temperature": """import numpy as np


def softmax_with_temperature(logits, temperature=1.0):
    z = np.asarray(logits, dtype=np.float64) / temperature
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)""",
    },
    "distillation_loss": {
        "forgets the T² factor": """import numpy as np


def distillation_loss(labels, teacher_logits, student_logits, temperature, alpha):
    def log_softmax(z):
        z = z - z.max(axis=-1, keepdims=True)
        return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))

    zt, zs = np.asarray(teacher_logits, float), np.asarray(student_logits, float)
    hard = -log_softmax(zs)[np.arange(len(labels)), labels].mean()
    lp, lq = log_softmax(zt / temperature), log_softmax(zs / temperature)
    kl = (np.exp(lp) * (lp - lq)).sum(axis=-1).mean()
    return float(alpha * hard + (1 - alpha) * kl)""",
        "hard term at temperature T": """import numpy as np


def distillation_loss(labels, teacher_logits, student_logits, temperature, alpha):
    def log_softmax(z):
        z = z - z.max(axis=-1, keepdims=True)
        return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))

    zt, zs = np.asarray(teacher_logits, float), np.asarray(student_logits, float)
    lq = log_softmax(zs / temperature)
    hard = -lq[np.arange(len(labels)), labels].mean()
    lp = log_softmax(zt / temperature)
    kl = (np.exp(lp) * (lp - lq)).sum(axis=-1).mean()
    return float(alpha * hard + (1 - alpha) * temperature**2 * kl)""",
        "log of a softmax: NaN once a probability underflows": """import numpy as np


def distillation_loss(labels, teacher_logits, student_logits, temperature, alpha):
    def softmax(z):
        e = np.exp(z - z.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)

    zt, zs = np.asarray(teacher_logits, float), np.asarray(student_logits, float)
    hard = -np.log(softmax(zs)[np.arange(len(labels)), labels]).mean()
    p, q = softmax(zt / temperature), softmax(zs / temperature)
    kl = (p * (np.log(p) - np.log(q))).sum(axis=-1).mean()
    return float(alpha * hard + (1 - alpha) * temperature**2 * kl)""",
        "KL the wrong way round, KL(student || teacher)": """import numpy as np


def distillation_loss(labels, teacher_logits, student_logits, temperature, alpha):
    def log_softmax(z):
        z = z - z.max(axis=-1, keepdims=True)
        return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))

    zt, zs = np.asarray(teacher_logits, float), np.asarray(student_logits, float)
    hard = -log_softmax(zs)[np.arange(len(labels)), labels].mean()
    lp, lq = log_softmax(zt / temperature), log_softmax(zs / temperature)
    kl = (np.exp(lq) * (lq - lp)).sum(axis=-1).mean()
    return float(alpha * hard + (1 - alpha) * temperature**2 * kl)""",
    },
}
