"""The statistics of A/B tests and hold-out groups.

Normal approximations, enough for the sample sizes of email journeys (the
A/B test waits for a minimum sample per variant; the lift report shows its
interval, so a reader sees when the groups are too small):

- :func:`two_proportion_p_value`: the two-sided two-proportion z-test that
  decides the winner of an A/B test;
- :func:`proportion_lift` and :func:`mean_lift`: the difference between the
  treated and the hold-out group of a journey, with its 95% confidence
  interval.
"""

import math

# two-sided 95% quantile of the normal distribution
Z_95 = 1.959964


def two_proportion_z(successes_a, size_a, successes_b, size_b):
    """Return the z statistic of the two-proportion test (pooled variance)
    of ``successes_a / size_a`` against ``successes_b / size_b``, or None
    when the test is undefined (an empty sample, or no variance at all:
    nobody or everybody succeeded in both samples)."""
    if not size_a or not size_b:
        return None
    pooled = (successes_a + successes_b) / (size_a + size_b)
    error = math.sqrt(pooled * (1 - pooled) * (1 / size_a + 1 / size_b))
    if not error:
        return None
    return (successes_a / size_a - successes_b / size_b) / error


def two_proportion_p_value(successes_a, size_a, successes_b, size_b):
    """Return the two-sided p-value of the two-proportion z-test (see
    :func:`two_proportion_z`): the probability of a difference at least this
    large if both samples had the same rate; 1.0 when the test is
    undefined."""
    z = two_proportion_z(successes_a, size_a, successes_b, size_b)
    if z is None:
        return 1.0
    return math.erfc(abs(z) / math.sqrt(2))


def proportion_lift(success_a, total_a, success_b, total_b):
    """Difference of two proportions (a - b) and its 95% confidence interval
    (normal approximation, unpooled variance).

    :return: (p_a, p_b, diff, low, high), or None when a group is empty
    """
    if not total_a or not total_b:
        return None
    p_a, p_b = success_a / total_a, success_b / total_b
    error = Z_95 * math.sqrt(p_a * (1 - p_a) / total_a + p_b * (1 - p_b) / total_b)
    diff = p_a - p_b
    return p_a, p_b, diff, diff - error, diff + error


def mean_lift(sum_a, sum_sq_a, count_a, sum_b, sum_sq_b, count_b):
    """Difference of two means (a - b), from the sums and sums of squares of
    the values of each group, and its 95% confidence interval (normal
    approximation, unequal variances).

    :return: (mean_a, mean_b, diff, low, high), or None when a group has
        fewer than two members
    """
    if count_a < 2 or count_b < 2:
        return None
    mean_a, mean_b = sum_a / count_a, sum_b / count_b
    var_a = max(sum_sq_a - count_a * mean_a**2, 0) / (count_a - 1)
    var_b = max(sum_sq_b - count_b * mean_b**2, 0) / (count_b - 1)
    error = Z_95 * math.sqrt(var_a / count_a + var_b / count_b)
    diff = mean_a - mean_b
    return mean_a, mean_b, diff, diff - error, diff + error
