# fitting, backtest and the one-call plan (calibrate.targets.fit / backtest / plan)
from calibrate.targets.backtest import BacktestResult, backtest, brier_score, reliability_table  # noqa: E402,F401
from calibrate.targets.fit import InsufficientHistory, PerformanceFit, fit_performance_model  # noqa: E402,F401
from calibrate.targets.plan import TargetPlan, TargetSettings, target_plan  # noqa: E402,F401
