-- What each common option of the trainers means, in the order help lists them (the defaults
-- are trainers/options.lua's options.common; spec/help_spec.lua checks both name the same options).
return {
  { "model", "the nn model to train; train(df) returns a trained copy and leaves it as it is. A compiled model's "
    .. "optimizer, loss and metrics are the run's: worker_optimizer, learning_rate, loss and metrics override "
    .. "them only when given, and a conflicting one is an error" },
  { "worker_optimizer", "the optimizer each worker steps with: a name ('sgd', 'adagrad', 'adam', ...) or an "
    .. "nn.optimizers object; when not given, the compiled model's, else 'adagrad'" },
  { "learning_rate", "the worker optimizer's learning rate, in place of its own" },
  { "loss", "what the workers minimise: a name as compile's loss or an nn.losses object "
    .. "(nn.losses.Huber{delta = 2}); when not given, the compiled model's, else categorical_crossentropy" },
  { "metrics", "the metrics the workers' model is compiled with, and an uncompiled model's trained copy (Keras "
    .. "names or nn.metrics objects; {'accuracy'} when not given); when not given, the compiled model's" },
  { "features_col", "the frame's column of input vectors (a functional model with several inputs: a list of "
    .. "columns, one per input)" },
  { "label_col", "the frame's column of targets (one-hot rows for categorical_crossentropy; several outputs: a list "
    .. "of columns, one per output)" },
  { "weight_col", "a column of per-row sample weights (Spark's weightCol; finite, >= 0): a batch's loss is "
    .. "sum w_i l_i / batch size, as Keras's sample_weight (when not given: every row weighs 1)" },
  { "batch_size", "samples per training step of a worker" },
  { "num_epoch", "passes over the training frame" },
  { "num_workers", "worker processes" },
  { "seed", "seeds the partitioning shuffle, each worker's batch order and Dropout streams" },
  { "parallelism_factor", "partitions per worker (num_workers * parallelism_factor in all), handed out as workers "
    .. "finish" },
  { "shuffle_buffer", "training on a LazyFrame (data.scan_csv): the rows of each worker's shuffle buffer, "
    .. "tf.data's Dataset.shuffle (fill, then each row drawn uniformly from the buffer and refilled from the shard; "
    .. "1 keeps the file order); seeded with (seed, epoch, shard) (when not given: 10000)" },
  { "on_nan", "a NaN or infinite loss or delta: 'error' stops the run naming the worker and batch, 'skip' leaves "
    .. "it out" },
  { "max_skipped", "with on_nan = 'skip', the largest fraction of batches or updates skipped before the run fails" },
  { "verbose", "draw the progress line (epoch, samples/s, loss, ETA) on stderr" },
  { "launcher", "how workers start: 'local' (processes on this host), 'mpirun', 'srun', or 'external' (started by "
    .. "hand: lunet worker --connect)" },
  { "launcher_program", "the mpirun or srun executable (when not given: by name on PATH)" },
  { "hostfile", "mpirun's --hostfile (the mpirun launcher only)" },
  { "bind", "the address the driver listens on (port 0: any free port); an address off loopback needs server_key "
    .. "or insecure = true" },
  { "advertise", "the host workers connect to (mpirun, srun, external; when not given: this host's name when bind "
    .. "is off loopback)" },
  { "num_threads", "OpenBLAS threads per worker" },
  { "connect_timeout", "seconds for every worker to register before the run fails" },
  { "worker_timeout", "seconds of silence after which a worker counts as lost" },
  { "driver_timeout", "seconds of driver silence after which a worker exits by itself" },
  { "report_interval", "seconds between a worker's progress reports (and its heartbeats while it waits)" },
  { "reassign", "a lost worker's partitions go to the live workers (false: the run goes on without them)" },
  { "shared_memory", "local workers exchange parameters with the driver through shared memory (memfd), "
    .. "commits and replies announced in the segment's mailbox slots and the driver's eventfd doorbell (default "
    .. "true; false: in socket frames)" },
  { "oversubscribe", "true: the local launcher starts num_workers above its limit (4 per CPU, at least 8), as "
    .. "mpirun --oversubscribe does; they share the cores (the thesis's 16-worker sweeps)" },
  { "max_message", "bytes: a larger message to the driver is refused (when not given: the job's largest message)" },
  { "server_key", "the driver's key pair (lunet keygen PATH): ZeroMQ CURVE, encrypted and authenticated" },
  { "authorized_keys", "a file of the workers' public keys admitted with server_key, one Z85 key per line" },
  { "worker_key", "the key pair mpirun, srun and external workers present (required for mpirun and srun with "
    .. "server_key); local workers use a socket only this user's processes may join" },
  { "insecure", "true: bind an address off loopback without CURVE (anyone who reaches it may join)" },
  { "checkpoint_every", "seconds, or {updates = N}: write a checkpoint that often" },
  { "checkpoint_dir", "where checkpoints go, as DIR/checkpoint.lunet (when not given: 'checkpoints')" },
  { "resume_from", "a checkpoint (or its directory) this run continues" },
  { "validation_data", "a frame (same columns and widths as the training frame) scored on snapshots of the center "
    .. "while it trains, by an evaluator process, and once more on the returned center: trainer:validation_history()" },
  { "validation_split", "a fraction in (0, 1): the training frame's last rows (before the partition shuffle, as "
    .. "Keras) are held out as validation_data" },
  { "validation_every", "how often the center is scored: seconds of training, {updates = N} or {epochs = N} (when "
    .. "not given: {epochs = 1}, as Keras)" },
  { "validation_metrics", "what is scored besides the loss: compile's metric names and nn.metrics objects, 'auc' "
    .. "(nn.metrics.AUC) and 'f1' (lunet.evaluation's MulticlassEvaluator F1) (when not given: the compiled metrics)" },
  { "callbacks", "fit's callbacks, run by the driver: EarlyStopping (stops every worker; restore_best_weights returns "
    .. "the best snapshot), ModelCheckpoint, ReduceLROnPlateau and LearningRateScheduler (send the workers a new "
    .. "rate), CSVLogger, History, or tables of on_train_begin/end and on_epoch_begin/end(epoch, logs); on_epoch_end "
    .. "fires at each validation record (logs: loss, lr, val_loss, val_<metric>), or each epoch's end without one" },
  { "compression", "how commits travel: 'fp16' or 'bf16' (round to nearest even: 2x fewer bytes), {top_k = F} (the "
    .. "fraction F of the values largest in magnitude, with their indices: 0.01 sends ~50x fewer bytes) or {quantize = "
    .. "8} (8-bit codes, a min and scale per 256 values: ~4x), with error feedback: a worker adds what it did not send "
    .. "to its next commit, nothing learned is lost (Lin et al. 2018). DOWNPOUR, ADAG, DynSGD, AdaptiveADAG, AEASGD, "
    .. "EAMSGD, DataParallel, DCASGD and GapAware (they commit changes); a resumed worker starts with nothing pending. Bytes: "
    .. "trainer.stats.commit_bytes, bytes_per_commit, compression_ratio (when not given: float32)" },
  { "pull_compression", "'fp16' or 'bf16': the parameters the driver sends a worker, rounded (the center stays "
    .. "float32; the trainers compression applies to; when not given: float32)" },
  { "num_servers", "k > 1: the parameters are split into k contiguous ranges, each served by a thread of the driver "
    .. "with the trainer's rule (not AdaptiveADAG, DCASGD, GapAware, EnsembleTrainer, SingleTrainer); not with on_nan = 'skip', "
    .. "compression or shared_memory = true (local workers then use the shards' sockets)" },
}
