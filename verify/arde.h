#pragma once

namespace qeil::verify {

// MODEL.md §9 ARDE: how reliable the leading answer is, and how diverse the answers are.
// Counts are doubles so that confidence-weighted votes fit; integer counts give exact values.

// Regularised incomplete beta I_x(p, q) for 0 <= x <= 1, p, q > 0: a continued fraction
// (modified Lentz) behind a log-space prefactor, so it stays accurate for p, q up to about 1e7
// (relative error near 1e-13, the continued fraction needs about sqrt(max(p, q)) terms).
double regularisedIncompleteBeta(double x, double p, double q);

// The posterior that the leader (a votes) rather than the runner-up (b votes) is the true mode:
// P(Binomial(a+b+1, 1/2) <= a) = I_{1/2}(b+1, a+1), i.e. P(s > 1/2) for the leader's share s
// between the two under a uniform prior, s ~ Beta(a+1, b+1). (4,0) = 31/32, (6,1) = 0.96484375.
// Also defined for a < b (then below 1/2).
double leaderPosterior(double a, double b);
// 1 - leaderPosterior(a, b), computed without cancellation (P(Binomial(a+b+1, 1/2) > a)).
double leaderErrorProbability(double a, double b);

// The Dirichlet generalisation over all classes: the probability that class `leader` has the
// largest share under Dirichlet(w + 1) over the `count` classes, bounded from below by
// Bonferroni: 1 - sum over the others j of P(share_j > share_leader), each pair being the
// two-class formula above (a pair's shares under a Dirichlet are Beta-distributed relative to
// each other). Exact for two classes; with one class, the competitor is an unseen answer (b = 0).
double modePosterior(const double* weights, int count, int leader);

// Shannon entropy (nats) of a distribution given by weights, from sum(w) and sum(w log w):
// H = log W - (1/W) sum w log w. 0 for no or one class.
double entropyNats(double sumW, double sumWLogW);

// The expected gain in P(the selected answer is the true mode) from m more samples split
// between the leader (a) and the runner-up (b), predicted by the Beta-binomial with Beta(a+1,
// b+1): E[max(q', 1 - q')] - max(q, 1 - q), with q the leaderPosterior. The posterior is a
// martingale, so only outcomes where the runner-up overtakes count: E[max(0, 1 - 2 q')]. Zero
// when m cannot overturn the lead (a - b >= m). Requires a >= b.
double expectedGain(double a, double b, int m);

// P(after m more samples split as above, leaderPosterior >= threshold) under the same
// predictive.
double reachProbability(double a, double b, int m, double threshold);

}  // namespace qeil::verify
