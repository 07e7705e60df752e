"""H3: a trained DNN converted into a spiking network (Chandarana et al. 2022; ../shared/
DESIGN.md): the graph rewritten into what NetX deploys, thresholds balanced on data, the SNN
scored against its ANN over time steps."""
