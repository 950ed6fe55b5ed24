"""Self-play games and reinforcement learning (AlphaGo's RL policy and value
refinement).  Reserved by the project layout; nothing lives here yet: the
supervised networks, search and referee it will build on are in nets/, mcts/
and tengen/match.py."""
