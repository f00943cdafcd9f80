# cell: train
# loses: test_train
"""train shuffles with the global RNG, so the seed argument does not make runs reproducible."""


def train(model, train_x, val_x, *, epochs, lr, batch_size, seed, patience=None, weight_decay=0.0) -> dict:
    """Adam on minibatches; per-epoch train/val NLL; optional early stopping that restores the best weights."""
    check_images(train_x, what="train_x")
    check_images(val_x, what="val_x")
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    history = {"train_nll": [], "val_nll": []}
    best, best_state, waited = math.inf, None, 0
    for _ in range(epochs):
        order = torch.randperm(len(train_x))
        losses = []
        for start in range(0, len(train_x), batch_size):
            batch = train_x[order[start : start + batch_size]]
            loss = -model.log_prob(batch).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        history["train_nll"].append(sum(losses) / len(losses))
        history["val_nll"].append(nll_nats(model, val_x))
        if patience is not None:
            if history["val_nll"][-1] < best:
                best, best_state, waited = history["val_nll"][-1], copy.deepcopy(model.state_dict()), 0
            else:
                waited += 1
                if waited >= patience:
                    break
    if best_state is not None:
        model.load_state_dict(best_state)
    return history
