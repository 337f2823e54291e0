"""Reference agents for the ccgym benchmark: heuristics, search, exact solvers, learners and the leaderboard."""
