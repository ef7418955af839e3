"""The synthesis's NumPy filters compute what the OpenCV calls they replace
compute (to float rounding), on the OpenCV installed."""
import cv2
import numpy as np
import pytest

from toolbox.degradations import filtering


@pytest.fixture
def image():
    return np.random.default_rng(0).random((37, 41, 3))


def opencv_line_kernel(length, angle):
    """The line kernel as the toolbox first built it, with OpenCV."""
    kernel = np.zeros((length, length), np.float32)
    kernel[:, length // 2] = 1.0
    centre = ((length - 1) / 2.0, (length - 1) / 2.0)
    rotation = cv2.getRotationMatrix2D(centre, angle, 1.0)
    kernel = cv2.warpAffine(kernel, rotation, (length, length),
                            flags=cv2.INTER_LINEAR)
    return kernel / kernel.sum()


@pytest.mark.parametrize('length,angle', [(9, -30.0), (15, 7.3), (21, 22.0),
                                          (31, 45.0), (4, 90.0), (1, 0.0)])
def test_line_kernel_is_the_rotated_line(length, angle):
    ours = filtering.line_kernel(length, angle)
    assert ours.sum() == pytest.approx(1.0, abs=1e-12)
    # OpenCV 4.x samples at 1/32-pixel fixed-point coordinates, 5.x exactly.
    assert np.abs(ours - opencv_line_kernel(length, angle)).max() < 3e-3


def test_vertical_line_kernel_is_one_column():
    kernel = filtering.line_kernel(7, 0.0)
    assert np.allclose(kernel[:, 3], 1 / 7) and kernel[:, [0, 1, 2, 4, 5,
                                                           6]].sum() == 0


@pytest.mark.parametrize('border,cv_border', [
    ('reflect', cv2.BORDER_REFLECT), ('reflect101', cv2.BORDER_REFLECT_101),
    ('replicate', cv2.BORDER_REPLICATE)])
@pytest.mark.parametrize('shape', [(5, 7), (4, 4), (25, 25)])
def test_correlate_is_filter2d(image, border, cv_border, shape):
    kernel = np.random.default_rng(1).random(shape)
    kernel[1, 1] = 0.0  # a zero tap is skipped, not mishandled
    small = image[:10, :12]  # the 25×25 kernel reaches past the image
    expected = cv2.filter2D(small, -1, kernel, borderType=cv_border)
    assert np.abs(filtering.correlate(small, kernel, border) -
                  expected).max() < 1e-12


def test_separable_gaussian_is_opencv_gaussian(image):
    taps = filtering.gaussian_kernel(21, 2.3)
    assert np.abs(taps - cv2.getGaussianKernel(21, 2.3).ravel()).max() < 1e-15
    expected = cv2.sepFilter2D(image, -1, taps, taps,
                               borderType=cv2.BORDER_REPLICATE)
    got = filtering.correlate_separable(image, taps, taps, 'replicate')
    assert np.abs(got - expected).max() < 1e-12
    blurred = filtering.gaussian_blur(image, 3.0)  # OpenCV's size rule
    assert np.abs(blurred - cv2.GaussianBlur(image, (0, 0), 3.0)).max() < 1e-12


def test_bicubic_resize_is_opencv_inter_cubic():
    coarse = np.random.default_rng(2).random((4, 4))
    expected = cv2.resize(coarse, (41, 37), interpolation=cv2.INTER_CUBIC)
    # OpenCV's cubic weights are float32
    assert np.abs(filtering.resize_bicubic(coarse, 37, 41) -
                  expected).max() < 1e-5


def test_gray_and_max_filter_are_opencv_ones():
    rgb = (np.random.default_rng(3).random((9, 11, 3)) * 255).astype(np.uint8)
    exact = filtering.rgb_to_gray(rgb)
    # OpenCV rounds to uint8 with fixed-point (14-bit) coefficients
    assert np.abs(exact - cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)).max() < 0.52
    drops = (np.random.default_rng(4).random((20, 22)) < 0.1).astype(float)
    for size in (2, 3):
        assert np.array_equal(
            filtering.max_filter(drops, size),
            cv2.dilate(drops, np.ones((size, size), np.uint8)))


def test_a_bad_border_is_named():
    with pytest.raises(ValueError, match="border must be one of"):
        filtering.correlate(np.zeros((3, 3)), np.ones((1, 1)), 'wrap')
