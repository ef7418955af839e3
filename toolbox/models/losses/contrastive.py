"""Contrastive losses of Uni-Removal: MGCL (knowledge transfer) and
EX-MGCL (domain adaptation).

Zhang et al., "Uni-Removal: A Semi-Supervised Framework for Simultaneously
Addressing Multiple Degradations in Real-World Images", 2023:

The bodies of Eqs. (2), (7) and (9) are missing from the paper's text
(only their numbers and the surrounding sentences survive): the formulas
below are **reconstructions**, from the sentences ("the common contrastive
loss", a temperature τ, positives pulled and negatives pushed) and the
losses the paper cites. Eq. (2) has a second reading, ``form='ratio'``
(:func:`contrast_similarities`).

* Eq. (2), the common contrastive loss (InfoNCE; reconstructed)::

    L_CL(o, p, {n_j}) = -log( exp(s(φ(o), φ(p)) / τ)
                              / (exp(s(φ(o), φ(p)) / τ)
                                 + Σ_j exp(s(φ(o), φ(n_j)) / τ)) )

  with ``s`` the cosine similarity of normalised feature vectors, ``τ`` the
  temperature (1e-6 in the paper) and ``φ`` an embedding (VGG-19 "usually").
* Eq. (3), the feature-grained loss (FCL): ``o`` = student features,
  ``p`` = the corresponding teacher's features, ``n_j`` = the student
  features of the batch's samples with another degradation type.
* Eq. (4), the image-grained loss (ICL): ``o`` = student restored image,
  ``p`` = teacher restored image, ``n_j`` = the batch's degraded inputs.
* Eq. (5), ``L_MGCL = λ_f · L_FCL + λ_i · L_ICL``: the two losses below carry
  λ_f and λ_i as their ``loss_weight`` (0.5 and 0.1), and the model adds them.
* Eq. (9), the extended loss of the domain-adaptation stage, with a batch
  of weakly correlated positives ``{p_k}`` in place of the one positive
  (reconstructed likewise)::

    L_EX(o, {p_k}, {n_j}) = -log( Σ_k exp(s(o, p_k) / τ)
                                  / (Σ_k exp(s(o, p_k) / τ)
                                     + Σ_j exp(s(o, n_j) / τ)) )

  and its feature- and image-grained forms, Eqs. (10) and (11) (EFCL,
  EICL). One implementation (:func:`contrast_similarities`) computes both
  Eq. (2) and Eq. (9): with one positive the two are the same number.

Computation: with ``d_j = (s(o, n_j) - s(o, p)) / τ`` the loss is
``log(1 + Σ_j e^{d_j})``, i.e. cross-entropy over the logits with the
positive first, but the similarity differences are taken *before* dividing by
τ, so that at τ = 1e-6 (logits near 1e6) float32 keeps their precision and
nothing overflows; ``softplus`` keeps tiny losses accurate. Similarities
are computed in float32 even under autocast.
"""
from typing import List, Optional, Sequence, Union

import torch
import torch.nn.functional as F
from torch import nn

from toolbox.engine.checkpoint import FrozenModuleHolder
from toolbox.registry import LOSSES, MODELS

Tensors = Union[torch.Tensor, Sequence[torch.Tensor]]
REDUCTIONS = ('flatten', 'gap', 'grid')


def feature_vectors(x: torch.Tensor, reduction: str = 'flatten',
                    grid_size: int = 4) -> torch.Tensor:
    """Turn ``N×C×H×W`` feature maps (or ``N×D`` vectors) into ``N×D``.

    ``'flatten'``: the whole map is the vector (``D = C·H·W``; keeps where
    things are); ``'gap'``: global average pooling (``D = C``);
    ``'grid'``: average pooling to ``grid_size × grid_size`` cells, then
    flattened (``D = C·g²``), in between the two.
    """
    if x.dim() == 2:
        return x
    if reduction == 'flatten':
        return x.flatten(1)
    if reduction == 'gap':
        return x.mean(dim=tuple(range(2, x.dim())))
    if reduction == 'grid':
        return F.adaptive_avg_pool2d(x, grid_size).flatten(1)
    raise ValueError(f'reduction must be one of {REDUCTIONS}, got '
                     f'{reduction!r}')


def _normalized(x: torch.Tensor) -> torch.Tensor:
    return F.normalize(x.float(), dim=1, eps=1e-12)


def _check_mask(mask: Optional[torch.Tensor], shape, what: str):
    if mask is None:
        return None
    if tuple(mask.shape) != tuple(shape):
        raise ValueError(f'{what} must be {tuple(shape)} (anchors × '
                         f'{what.split("_")[0]}s), got {tuple(mask.shape)}')
    return mask.bool()


#: Logit of a masked-out positive or negative: exp() of it is 0, and unlike
#: -inf it keeps the gradients of fully masked rows finite (zero).
MASKED_LOGIT = -1e12


#: The readings of Eq. (2) (``form=``): the InfoNCE reconstruction, and
#: the ratio of distances of contrastive regularisation.
FORMS = ('info_nce', 'ratio')
#: Keeps the ratio form finite when every negative equals the anchor.
RATIO_EPS = 1e-7


def contrast_similarities(pos_sim: torch.Tensor,
                          neg_sim: torch.Tensor,
                          temperature: float,
                          positive_mask: Optional[torch.Tensor] = None,
                          negative_mask: Optional[torch.Tensor] = None,
                          form: str = 'info_nce'):
    """Eqs. (2) and (9) from similarities; returns ``(loss N, valid N)``.

    ``form='info_nce'`` (default, the reconstruction the configs use):
    ``loss_i = -log(Σ_k e^{p_ik/τ} / (Σ_k e^{p_ik/τ} + Σ_j e^{n_ij/τ}))``
    over the positives ``k`` and negatives ``j`` the masks allow, computed
    as ``softplus(LSE_j(n_ij/τ) - LSE_k(p_ik/τ))``, which stays accurate
    when the loss is tiny. Every logit is taken relative to the anchor's
    largest positive similarity *before* dividing by τ (see the module
    docstring).

    ``form='ratio'``: the other reading, the contrastive regularisation of
    AECR-Net (Wu et al., CVPR 2021), a ratio of distances with cosine
    distance ``1 − s``: ``loss_i = mean_k(1 − p_ik) / (mean_j(1 − n_ij) +
    ε)``. It has no exponent, so τ plays no role: its size stays that of
    the distances (≤ 2 / ε-bounded), where InfoNCE at τ = 1e-6 grows like
    ``max_j(n_ij − p_i)/τ``.

    ``valid`` marks anchors with at least one positive and one negative;
    the loss of the others is 0.
    """
    if temperature <= 0:
        raise ValueError(f'temperature must be > 0, got {temperature}')
    if form not in FORMS:
        raise ValueError(f'form must be one of {FORMS}, got {form!r}')
    positive_mask = _check_mask(positive_mask, pos_sim.shape,
                                'positive_mask')
    negative_mask = _check_mask(negative_mask, neg_sim.shape,
                                'negative_mask')
    if positive_mask is None:
        positive_mask = torch.ones_like(pos_sim, dtype=torch.bool)
    if negative_mask is None:
        negative_mask = torch.ones_like(neg_sim, dtype=torch.bool)
    valid = positive_mask.any(dim=1) & negative_mask.any(dim=1)
    if form == 'ratio':
        loss = _masked_mean(1.0 - pos_sim, positive_mask) / (
            _masked_mean(1.0 - neg_sim, negative_mask) + RATIO_EPS)
        return torch.where(valid, loss, torch.zeros_like(loss)), valid
    masked_pos = pos_sim.masked_fill(~positive_mask, -2.0)  # s ≥ -1
    reference = masked_pos.max(dim=1, keepdim=True).values.detach()
    pos_logits = ((pos_sim - reference) / temperature).masked_fill(
        ~positive_mask, MASKED_LOGIT)
    neg_logits = ((neg_sim - reference) / temperature).masked_fill(
        ~negative_mask, MASKED_LOGIT)
    loss = F.softplus(torch.logsumexp(neg_logits, dim=1) -
                      torch.logsumexp(pos_logits, dim=1))
    return torch.where(valid, loss, torch.zeros_like(loss)), valid


def _masked_mean(values: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean of each row over the entries ``mask`` allows (0 for none)."""
    mask = mask.to(values.dtype)
    return (values * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)


def info_nce(anchor: torch.Tensor,
             positive: torch.Tensor,
             negatives: torch.Tensor,
             temperature: float,
             negative_mask: Optional[torch.Tensor] = None,
             form: str = 'info_nce'):
    """Eq. (2) per anchor, on vectors; returns ``(loss N, has_negative N)``.

    Args:
        anchor: ``N×D`` vectors ``φ(o)``.
        positive: ``N×D``, the positive of each anchor.
        negatives: ``M×D``, negatives shared by the anchors.
        temperature: τ > 0.
        negative_mask: optional ``N×M`` bool, True where negative ``j`` counts
            for anchor ``i``.
    """
    # The extended form with each anchor's own positive as its only one:
    # one implementation for Eqs. (2) and (9).
    eye = torch.eye(anchor.shape[0], dtype=torch.bool, device=anchor.device)
    return extended_info_nce(anchor, positive, negatives, temperature,
                             positive_mask=eye, negative_mask=negative_mask,
                             form=form)


def extended_info_nce(anchor: torch.Tensor,
                      positives: torch.Tensor,
                      negatives: torch.Tensor,
                      temperature: float,
                      positive_mask: Optional[torch.Tensor] = None,
                      negative_mask: Optional[torch.Tensor] = None,
                      form: str = 'info_nce'):
    """Eq. (9), the extended loss with a batch of weak positives, per
    anchor; returns ``(loss N, valid N)`` (``form``: see
    :func:`contrast_similarities`).

    Args:
        anchor: ``N×D`` vectors.
        positives: ``K×D``, positives shared by the anchors (masked per
            anchor by ``positive_mask``, ``N×K`` bool).
        negatives: ``M×D``, negatives (``negative_mask``, ``N×M``).
        temperature: τ > 0.

    With ``K = N`` and ``positive_mask`` the identity this is
    :func:`info_nce` (one positive per anchor).
    """
    # Similarities in float32 even under autocast (a bfloat16 cosine is
    # off by ~1e-2, far more than the differences τ = 1e-6 divides).
    with torch.autocast(anchor.device.type, enabled=False):
        anchor = _normalized(anchor)
        pos_sim = anchor @ _normalized(positives).t()  # N×K
        neg_sim = anchor @ _normalized(negatives).t()  # N×M
        return contrast_similarities(pos_sim, neg_sim, temperature,
                                     positive_mask, negative_mask, form)


def _as_list(x) -> List[torch.Tensor]:
    if isinstance(x, torch.Tensor):
        return [x]
    if isinstance(x, dict):
        return list(x.values())
    return list(x)


@LOSSES.register_module()
class ContrastiveLoss(FrozenModuleHolder, nn.Module):
    """The common contrastive loss of Uni-Removal, Eq. (2) (InfoNCE).

    ``forward(anchor, positive, negatives, negative_mask=None)`` embeds the
    three with φ, reduces feature maps to vectors, and returns
    ``loss_weight × mean_i L_CL(o_i, p_i, {n_j})`` over the anchors that have
    at least one negative. Anchors without negatives have nothing to be
    contrasted with and are left out (a batch where no anchor has one gives
    a zero loss that is still connected to the graph).

    Args:
        loss_weight: weight of the loss (λ of Eq. 5).
        temperature: τ (paper: 1e-6). Any τ > 0 is stable; note that a tiny
            τ turns the loss into a hinge ``max_j(s_n - s_p)/τ`` whose
            gradient is ``1/τ`` while a negative is closer than the positive.
        embedding: config of φ, a module mapping a batch to a tensor, or to
            a dict/list of tensors (several layers, e.g.
            :class:`VGG19FeatureExtractor`); ``None`` is the identity. φ is a
            fixed network: it is frozen, kept in eval mode, and neither
            trained nor saved with the model's checkpoints.
        layer_weights: one weight per φ output (default: their mean).
        reduction: how a feature map becomes a vector before the cosine
            similarity: ``'flatten'`` (default), ``'gap'`` or ``'grid'``
            (see :func:`feature_vectors`).
        grid_size: cells per side of ``reduction='grid'``.
        detach_positive, detach_negatives: stop gradients through the
            positives / negatives (both True: the anchor alone is pulled and
            pushed; φ of detached inputs runs without autograd).
        form: the reading of Eq. (2), whose body the paper's text lost:
            ``'info_nce'`` (default, the common contrastive loss with τ)
            or ``'ratio'`` (a ratio of distances, τ unused; see
            :func:`contrast_similarities`).
    """

    def __init__(self,
                 loss_weight: float = 1.0,
                 temperature: float = 1e-6,
                 embedding: Optional[dict] = None,
                 layer_weights: Optional[Sequence[float]] = None,
                 reduction: str = 'flatten',
                 grid_size: int = 4,
                 detach_positive: bool = True,
                 detach_negatives: bool = True,
                 form: str = 'info_nce'):
        super().__init__()
        if form not in FORMS:
            raise ValueError(f'{type(self).__name__}: form must be one of '
                             f'{FORMS}, got {form!r}')
        self.form = form
        if temperature <= 0:
            raise ValueError(
                f'{type(self).__name__}: temperature must be > 0, got '
                f'{temperature}')
        if reduction not in REDUCTIONS:
            raise ValueError(f'{type(self).__name__}: reduction must be one '
                             f'of {REDUCTIONS}, got {reduction!r}')
        self.loss_weight = loss_weight
        self.temperature = temperature
        self.layer_weights = None if layer_weights is None else \
            [float(w) for w in layer_weights]
        self.reduction = reduction
        self.grid_size = grid_size
        self.detach_positive = detach_positive
        self.detach_negatives = detach_negatives
        embedding = MODELS.build(embedding) if isinstance(embedding, dict) \
            else embedding
        # Held outside the module tree: a frozen φ (80 MB for VGG-19) must
        # not reach the optimiser, the checkpoints or model.train().
        self.hold_frozen('embedding', embedding)

    @property
    def embedding(self) -> Optional[nn.Module]:
        """The frozen embedding φ (``None``: identity)."""
        return self.frozen_module('embedding')

    #: Autocast dtype of φ on inputs that need no gradient (the fixed
    #: positives and negatives); ``None``: the caller's precision.
    no_grad_dtype: Optional[torch.dtype] = None

    def embed(self, x: torch.Tensor, grad: bool = True) -> List[torch.Tensor]:
        """φ(x) as a list of per-layer ``N×D`` vectors."""
        embedding = self.embedding
        if embedding is None:
            return [feature_vectors(x, self.reduction, self.grid_size)]
        grad = grad and torch.is_grad_enabled()
        dtype = None if grad else self.no_grad_dtype
        if dtype is None:
            with torch.set_grad_enabled(grad):
                layers = _as_list(embedding(x))
        else:
            # Fixed branch (no gradient) in low precision, channels_last:
            # UniRemovalKT(frozen_precision=...) sets ``no_grad_dtype``.
            with torch.no_grad(), torch.autocast(x.device.type, dtype=dtype):
                layers = _as_list(embedding(
                    x.contiguous(memory_format=torch.channels_last)))
            layers = [f.float() for f in layers]
        return [feature_vectors(f, self.reduction, self.grid_size)
                for f in layers]

    def _weights(self, count: int, weights=None,
                 what: str = 'embedding outputs') -> List[float]:
        weights = self.layer_weights if weights is None else weights
        if weights is None:
            return [1.0 / count] * count
        if len(weights) != count:
            raise ValueError(
                f'{type(self).__name__}: {len(weights)} weights for {count} '
                f'{what}')
        return list(weights)

    def contrast(self,
                 anchor: torch.Tensor,
                 positive: torch.Tensor,
                 negatives: torch.Tensor,
                 negative_mask: Optional[torch.Tensor] = None,
                 layer_weights: Optional[Sequence[float]] = None,
                 positive_mask: Optional[torch.Tensor] = None
                 ) -> torch.Tensor:
        """Unweighted Eq. (2), averaged over anchors and summed over φ's
        layers with ``layer_weights`` (default: the module's).

        With ``positive_mask`` (``N×K`` bool) ``positive`` is a batch of
        ``K`` positives shared by the anchors and the loss is the extended
        Eq. (9) (:func:`extended_info_nce`); without it, ``positive`` holds
        one positive per anchor.
        """
        if positive_mask is None and positive.shape != anchor.shape:
            raise ValueError(
                f'{type(self).__name__}: anchor {tuple(anchor.shape)} and '
                f'positive {tuple(positive.shape)} differ')
        for name, other in (('positives', positive),
                            ('negatives', negatives)):
            if other.shape[1:] != anchor.shape[1:]:
                raise ValueError(
                    f'{type(self).__name__}: {name} {tuple(other.shape)} '
                    f'do not match the anchor {tuple(anchor.shape)}')
        if self.detach_positive:
            positive = positive.detach()
        if self.detach_negatives:
            negatives = negatives.detach()
        anchors = self.embed(anchor)
        if self.embedding is None:  # identity: no copies
            positives, negatives_ = self.embed(positive), self.embed(negatives)
        elif self.detach_positive and self.detach_negatives:
            # One φ pass for positives and negatives when both are fixed.
            both = self.embed(torch.cat([positive, negatives]), grad=False)
            positives = [b[:positive.shape[0]] for b in both]
            negatives_ = [b[positive.shape[0]:] for b in both]
        else:
            positives = self.embed(positive, not self.detach_positive)
            negatives_ = self.embed(negatives, not self.detach_negatives)
        total = anchor.new_zeros((), dtype=torch.float32)
        weights = self._weights(len(anchors), layer_weights)
        for weight, a, p, n in zip(weights, anchors,
                                   positives, negatives_):
            if positive_mask is None:
                per_anchor, valid = info_nce(a, p, n, self.temperature,
                                             negative_mask, self.form)
            else:
                per_anchor, valid = extended_info_nce(
                    a, p, n, self.temperature, positive_mask, negative_mask,
                    self.form)
            if valid.any():
                total = total + weight * per_anchor[valid].mean()
            else:
                # Nothing to contrast: zero, still attached to the graph.
                total = total + 0.0 * a.sum()
        return total

    def forward(self,
                anchor: torch.Tensor,
                positive: torch.Tensor,
                negatives: torch.Tensor,
                negative_mask: Optional[torch.Tensor] = None,
                **kwargs) -> torch.Tensor:
        """Weighted Eq. (2): ``anchor``/``positive`` ``N×...``, ``negatives``
        ``M×...``, ``negative_mask`` optional ``N×M`` bool."""
        return self.loss_weight * self.contrast(anchor, positive, negatives,
                                                negative_mask)


@LOSSES.register_module()
class FeatureContrastiveLoss(ContrastiveLoss):
    """Feature-grained contrastive loss (FCL), Uni-Removal Eq. (3).

    For sample ``i`` with degradation label ``y_i``: anchor = student
    features ``F_s,i``, positive = the features ``F_t,i`` of the teacher of
    ``y_i`` on the same input, negatives = the student features ``F_s,j`` of
    the batch samples with ``y_j ≠ y_i`` (paper: "a batch of intermediate
    features from the student network with different degradation types").
    A sample whose batch holds no other degradation type has no negative and
    is left out (see :class:`ContrastiveLoss`); a balanced sampler
    (``DegradationBalancedSampler``) avoids such batches.

    ``forward(student_feats, teacher_feats, labels)``: each feats argument is
    one ``N×C×H×W`` tensor or a list (or dict) of them, one per feature
    level, paired in order. ``labels``: ``N`` degradation labels (strings
    or ints). φ defaults to the identity.

    Args:
        loss_weight: λ_f (paper: 0.5, decayed during training by
            :class:`~toolbox.engine.LossWeightDecayHook`).
        level_weights: weights of the feature levels (default: their mean).
        **kwargs: the options of :class:`ContrastiveLoss`.
    """

    def __init__(self, loss_weight: float = 0.5,
                 level_weights: Optional[Sequence[float]] = None, **kwargs):
        super().__init__(loss_weight=loss_weight, **kwargs)
        self.level_weights = None if level_weights is None else \
            [float(w) for w in level_weights]

    @staticmethod
    def different_label_mask(labels: Sequence, device=None) -> torch.Tensor:
        """``N×N`` bool: True where samples ``i`` and ``j`` differ in label."""
        ids = {label: k for k, label in enumerate(dict.fromkeys(labels))}
        codes = torch.tensor([ids[label] for label in labels], device=device)
        return codes[:, None] != codes[None, :]

    def paired_levels(self, first: Tensors, second: Tensors,
                      labels: Sequence, names=('student', 'teacher')):
        """The two feature stacks as paired lists, and the ``N×N`` mask of
        samples with another degradation label (the negatives)."""
        first, second = _as_list(first), _as_list(second)
        if len(first) != len(second) or not first:
            raise ValueError(
                f'{type(self).__name__}: {len(first)} {names[0]} and '
                f'{len(second)} {names[1]} feature levels; they must pair up')
        if len(labels) != first[0].shape[0]:
            raise ValueError(
                f'{type(self).__name__}: {len(labels)} labels for a batch '
                f'of {first[0].shape[0]}')
        return first, second, self.different_label_mask(labels,
                                                        first[0].device)

    def forward(self, student_feats: Tensors, teacher_feats: Tensors,
                labels: Sequence, **kwargs) -> torch.Tensor:
        """Weighted Eq. (3) averaged over feature levels."""
        students, teachers, mask = self.paired_levels(student_feats,
                                                      teacher_feats, labels)
        weights = self._weights(len(students), self.level_weights,
                                'feature levels')
        total = 0.0
        for weight, fs, ft in zip(weights, students, teachers):
            if fs.shape != ft.shape:
                raise ValueError(
                    f'FeatureContrastiveLoss: student features '
                    f'{tuple(fs.shape)} and teacher features '
                    f'{tuple(ft.shape)} differ; project the student\'s '
                    '(UniRemovalKT `projections`) or use same-width teachers')
            # Negatives: the (same-level) student features of the batch,
            # masked to the samples of other degradation types.
            total = total + weight * self.contrast(fs, ft, fs, mask)
        return self.loss_weight * total


@LOSSES.register_module()
class ImageContrastiveLoss(ContrastiveLoss):
    """Image-grained contrastive loss (ICL), Uni-Removal Eq. (4).

    Anchor = the student's restored image ``S(x_i)``, positive = the
    restored image of sample ``i``'s teacher ``T_{y_i}(x_i)``, negatives =
    the batch's synthetic degraded inputs ``{x_j}`` (all of them, the
    anchor's own input included: "a batch of synthetic images with various
    degradations serve as negatives"). φ = VGG-19 by default (the paper's
    "usually"), at relu1_1 … relu5_1 with MAWR's layer weights
    1/32, 1/16, 1/8, 1/4, 1.

    ``forward(restored, teacher_restored, degraded)``: ``N×3×H×W`` images in
    ``[0, 1]`` (:class:`UniRemovalKT` converts from the network's range).
    """

    def __init__(self,
                 loss_weight: float = 0.1,
                 embedding: Optional[dict] = dict(
                     type='VGG19FeatureExtractor',
                     layers=('relu1_1', 'relu2_1', 'relu3_1', 'relu4_1',
                             'relu5_1')),
                 layer_weights: Optional[Sequence[float]] = (
                     1 / 32, 1 / 16, 1 / 8, 1 / 4, 1.0),
                 **kwargs):
        super().__init__(loss_weight=loss_weight, embedding=embedding,
                         layer_weights=layer_weights, **kwargs)

    def forward(self, restored: torch.Tensor, teacher_restored: torch.Tensor,
                degraded: torch.Tensor, **kwargs) -> torch.Tensor:
        """Weighted Eq. (4)."""
        return self.loss_weight * self.contrast(restored, teacher_restored,
                                                degraded)


@LOSSES.register_module()
class ExtendedFeatureContrastiveLoss(FeatureContrastiveLoss):
    """Extended feature-grained contrastive loss (EFCL), Uni-Removal
    Eq. (10), with the extended form Eq. (9).

    For the real degraded sample ``i`` (label ``y_i``): anchor = the
    student's features of it, positives = the student's features of *every*
    real clear image of the batch ("a batch of intermediate features of
    real-world clear images as positives"), negatives = the student's
    features of the batch's real degraded images of other degradation types.

    ``forward(degraded_feats, clear_feats, labels)``: feats as in
    :class:`FeatureContrastiveLoss` (one tensor or one per level, paired in
    order); ``labels``: the ``N`` degraded samples' degradation labels.
    With one clear image per anchor this is Eq. (3).

    Args:
        loss_weight: λ of EFCL (the toolbox's reading of IV-A2: 0.5,
            decayed by 0.99 per epoch like λ_f; docs/methods/uniremoval.md).
        **kwargs: the options of :class:`FeatureContrastiveLoss`.
    """

    def forward(self, degraded_feats: Tensors, clear_feats: Tensors,
                labels: Sequence, **kwargs) -> torch.Tensor:
        """Weighted Eq. (10) averaged over feature levels."""
        degraded, clear, negative_mask = self.paired_levels(
            degraded_feats, clear_feats, labels, ('degraded', 'clear'))
        device = degraded[0].device
        positive_mask = torch.ones(degraded[0].shape[0], clear[0].shape[0],
                                   dtype=torch.bool, device=device)
        weights = self._weights(len(degraded), self.level_weights,
                                'feature levels')
        total = 0.0
        for weight, fd, fc in zip(weights, degraded, clear):
            total = total + weight * self.contrast(
                fd, fc, fd, negative_mask, positive_mask=positive_mask)
        return self.loss_weight * total


@LOSSES.register_module()
class ExtendedImageContrastiveLoss(ImageContrastiveLoss):
    """Extended image-grained contrastive loss (EICL), Uni-Removal
    Eq. (11), with the extended form Eq. (9).

    Anchor = the student's restored real degraded image ``S(x_i)``,
    positives = the student's restored real clear images ``{S(y_k)}`` of
    the batch, negatives = the batch's real degraded inputs ``{x_j}``. φ
    as in :class:`ImageContrastiveLoss` (VGG-19 by default).

    ``forward(restored, restored_clear, degraded)``: ``N×3×H×W``,
    ``K×3×H×W`` and ``M×3×H×W`` images in ``[0, 1]``.
    """

    def forward(self, restored: torch.Tensor, restored_clear: torch.Tensor,
                degraded: torch.Tensor, **kwargs) -> torch.Tensor:
        """Weighted Eq. (11)."""
        positive_mask = torch.ones(restored.shape[0],
                                   restored_clear.shape[0], dtype=torch.bool,
                                   device=restored.device)
        return self.loss_weight * self.contrast(
            restored, restored_clear, degraded, positive_mask=positive_mask)


__all__ = ['ContrastiveLoss', 'FeatureContrastiveLoss',
           'ImageContrastiveLoss', 'ExtendedFeatureContrastiveLoss',
           'ExtendedImageContrastiveLoss', 'feature_vectors', 'info_nce',
           'extended_info_nce', 'contrast_similarities', 'FORMS']
