"""Self-play and reinforcement learning: AlphaGo's RL policy (REINFORCE
against a pool of earlier versions), value positions from self-play games,
gating, and the workers that play the games, in this process or on Ray.
``selfplay.loop`` says how the pieces make one iteration."""
