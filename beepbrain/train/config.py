"""What a training run is told: one dataclass, saved in every checkpoint and logged to MLflow."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

# Learning rates that suit each model size when none is given (smaller models take larger steps).
DEFAULT_LR = {"tiny": 2e-3, "small": 1e-3, "base": 6e-4}


@dataclass
class TrainConfig:
    dataset: str  # name of DATA_DIR/datasets/NAME
    data_dir: str | None = None  # default: beepbrain.settings.data_dir()
    model: str = "tiny"  # a key of beepbrain.model.CONFIGS
    max_steps: int | None = None  # optimizer steps; None: 2000 (or the resumed run's own)
    batch_size: int = 8  # windows per micro-batch (per process)
    grad_accum: int = 1  # micro-batches per optimizer step
    lr: float | None = None  # peak learning rate; None: DEFAULT_LR[model]
    min_lr_ratio: float = 0.1  # cosine decays to lr * min_lr_ratio
    warmup_steps: int | None = None  # None: 5% of max_steps, at most 200
    weight_decay: float = 0.1
    dropout: float = 0.1  # dropout on what each attention and MLP block adds to the residual stream (and
    # on the embeddings) while training: the tiny model overfits the bundled songs without it; 0.1 scored
    # 0.08 bits per note lower than none at the main job's budget, 0.2 no better than none (docs/train.md)
    beta1: float = 0.9
    beta2: float = 0.95
    grad_clip: float = 1.0  # 0 disables clipping
    eval_interval: int = 100  # steps between validation losses (0: only at the end)
    eval_batches: int = 10
    checkpoint_interval: int = 200  # steps between checkpoints (0: only at the end)
    log_interval: int = 10  # steps between progress lines and metric flushes
    device: str = "auto"  # auto, cpu, cuda, cuda:N, mps
    compile: bool = False  # torch.compile the model (CUDA)
    seed: int = 0
    tracking_uri: str | None = None  # default: beepbrain.settings.tracking_uri(data_dir)
    experiment: str = "beepbrain"
    register: bool = True  # register the final model as `beepbrain` in the model registry
    resume: str | None = None  # MLflow run id of a run to continue from its last checkpoint
    init_from: str | None = None  # model URI whose weights the run starts from (fine-tuning)
    fill: float = 0.0  # share of training windows that are fill tasks (tokens/fill.py); validation: songs
    song_balance: float = 0.75  # how windows are drawn: 0 every window alike (a long song weighs as many
    # times as it has windows), 1 every song alike, between K**-song_balance per window of a song of K
    # (WindowLoader); validation stays per window. 0.75: near the bits per note of 0.5 (fewer than 0 or
    # 1), with drums nearer real songs' of their shape, where 0.5 writes them too dense (docs/train.md)
    decision_weight: float = 1.0  # the loss's weight on a channel's item decision (EMPTY / REF / NEW)
    # against 1 for every other target (tokenizer.decision_ids); validation stays unweighted
    channel_embedding: bool = False  # the model reads each token's channel (Tokenizer.channel_marks);
    # off: at the main job's budget it scored worse (docs/train.md)
    recall: bool = True  # each position is told what the channel whose item comes next did in its last
    # bar item (GPT.recall_ids; pattern tokenizer): the item decision it could not learn (docs/train.md)
    recall_pattern: bool = True  # with recall, the REF token of the pattern that item played is added too
    # (GPT.recall_tokens): which pattern "the same as the bar before" is (docs/train.md)
    recall_kind: bool = True  # with recall, its embedding also says whether the channel is a drum one
    # (GPT.drum_rows): a drum channel's items repeat more than a pitch channel's (docs/train.md)
    note_end: bool = True  # after each pin of a note the model is shown the position token where the
    # note then ends and the beats its bar has left (GPT.note_ends; pattern tokenizer; docs/train.md)

    def __post_init__(self) -> None:
        from beepbrain.model import CONFIGS

        if self.model not in CONFIGS:
            raise ValueError(f"unknown model config {self.model!r}; choose one of {sorted(CONFIGS)}")
        for name in ("batch_size", "grad_accum", "eval_batches", "log_interval"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")
        if self.max_steps is not None and self.max_steps < 1:
            raise ValueError("max_steps must be at least 1")
        if not 0.0 <= float(self.fill) <= 1.0:
            raise ValueError(f"fill must be a share in [0, 1], not {self.fill}")
        if not 0.0 <= float(self.song_balance) <= 1.0:
            raise ValueError(f"song_balance must be in [0, 1], not {self.song_balance}")
        if not 0.0 <= float(self.dropout) < 1.0:
            raise ValueError(f"dropout must be in [0, 1), not {self.dropout}")
        if not float(self.weight_decay) >= 0:
            raise ValueError(f"weight_decay must be at least 0, not {self.weight_decay}")
        if not float(self.decision_weight) > 0:
            raise ValueError(f"decision_weight must be above 0, not {self.decision_weight}")

    @property
    def steps(self) -> int:
        return self.max_steps or 2000

    @property
    def peak_lr(self) -> float:
        return self.lr if self.lr is not None else DEFAULT_LR.get(self.model, 6e-4)

    @property
    def warmup(self) -> int:
        if self.warmup_steps is not None:
            return self.warmup_steps
        return min(200, max(1, self.steps // 20))

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def saved(cls, data: dict) -> TrainConfig:
        """The config a run saved: one from before ``song_balance`` drew every window alike, and one from
        before ``dropout`` trained without it."""
        return cls.from_dict({"song_balance": 0.0, "dropout": 0.0, **data})

    @classmethod
    def from_dict(cls, data: dict) -> TrainConfig:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})
