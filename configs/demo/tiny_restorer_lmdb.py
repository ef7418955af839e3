# configs/demo/tiny_restorer.py reading LMDB databases instead of folders.
# The only change is where data_prefix points; create the databases with
#   for s in train test; do for d in input target; do
#     python tools/create_lmdb.py --input data/demo/rain/$s/$d \
#         --output data/demo_lmdb/rain/$s/$d.lmdb; done; done
_base_ = ['./tiny_restorer.py']

lmdb_prefix = dict(img='input.lmdb', gt='target.lmdb')
train_dataloader = dict(
    dataset=dict(data_root='data/demo_lmdb/rain/train',
                 data_prefix=lmdb_prefix))
val_dataloader = dict(
    dataset=dict(data_root='data/demo_lmdb/rain/test',
                 data_prefix=lmdb_prefix))
test_dataloader = val_dataloader
