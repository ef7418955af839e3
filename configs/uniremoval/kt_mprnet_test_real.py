# Table V, "KT": the knowledge-transfer student without domain adaptation,
# on the real-world and synthetic test sets of the DA stage:
#   python tools/test.py configs/uniremoval/kt_mprnet_test_real.py \
#       work_dirs/kt_mprnet/epoch_400.pth
_base_ = ['./kt_mprnet.py', '../_base_/datasets/uniremoval_test.py']
test_dataloader = {{_base_.uniremoval_test_dataloader}}
test_evaluator = {{_base_.uniremoval_test_evaluator}}
