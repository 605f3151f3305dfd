"""Training: the Trainer (fit / evaluate / predict), callbacks, run folders and reports;
``glassnet.train.metrics``: accuracy, top-k error, confusion matrix, precision / recall / F1.

::

    from glassnet.train import Trainer, EarlyStopping

    trainer = Trainer(model, optimizer, nn.CrossEntropyLoss(), metrics=("accuracy",),
                      callbacks=[EarlyStopping("val_loss", patience=3, restore_best_weights=True)],
                      run_dir="runs/lenet")
    history = trainer.fit(train_loader, val_loader, epochs=10)
    print(trainer.evaluate(test_loader))
    trainer.write_report(test_loader, test_metrics=trainer.evaluate(test_loader))
"""

from glassnet.train.callbacks import (
                                      Callback,
                                      CallbackList,
                                      EarlyStopping,
                                      LambdaCallback,
                                      LearningRateMonitor,
                                      TerminateOnNaN,
)
from glassnet.train.checkpointing import ModelCheckpoint
from glassnet.train.evaluation import evaluate, predict
from glassnet.train.loggers import CSVLogger, JSONLLogger
from glassnet.train.progress import ProgressBar
from glassnet.train.report import report_from_trainer, write_report
from glassnet.train.run import RunDir, read_metrics
from glassnet.train.trainer import Trainer

__all__ = ["Trainer", "Callback", "CallbackList", "EarlyStopping", "ModelCheckpoint", "CSVLogger",
           "JSONLLogger", "LearningRateMonitor", "TerminateOnNaN", "ProgressBar", "LambdaCallback",
           "RunDir", "read_metrics", "write_report", "report_from_trainer", "evaluate", "predict"]
