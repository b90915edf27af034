"""The seed articles' tests (../shared/seeds/000_*.txt and 001_*.txt), as written there.

Only the import changed: `from core.tensor import Tensor` became `from ndgrad import Tensor`.
"""
import numpy as np

from ndgrad import Tensor

# ---- 001: max, slice, reshape, transpose


def test_simple_max():
    x = Tensor([1, 2, 3, 6, 7, 9, 2], requires_grad=True)
    z = x.max()
    assert z.data == [9]
    z.backward()
    assert x.grad.data.tolist() == [0, 0, 0, 0, 0, 1, 0]


def test_simple_max2():
    x = Tensor([1, 2, 3, 9, 7, 9, 2], requires_grad=True)
    z = x.max()
    assert z.data == [9]  # 最大值还是9
    z.backward()
    # 但是有两个最大值,所以梯度被均分了
    assert x.grad.data.tolist() == [0, 0, 0, 0.5, 0, 0.5, 0]


def test_matrix_max():
    a = np.array([[1., 1., 8., 9., 1.],
                  [4., 5., 9., 9., 8.],
                  [8., 6., 9., 7., 9.],
                  [8., 6., 1., 9., 8.]])
    x = Tensor(a, requires_grad=True)
    z = x.max()
    assert z.data == [9]  # 最大值是9
    z.backward()
    # 总共有6个9
    np.testing.assert_array_almost_equal(x.grad.data, [[0, 0, 0, 1 / 6, 0],
                                                       [0, 0, 1 / 6, 1 / 6, 0],
                                                       [0, 0, 1 / 6, 0, 1 / 6],
                                                       [0, 0, 0, 1 / 6, 0]])


def test_matrix_max2():
    a = np.array([[1., 1., 8., 9., 1.],
                  [4., 5., 9., 9., 8.],
                  [8., 6., 9., 7., 9.],
                  [8., 6., 1., 9., 8.]])
    x = Tensor(a, requires_grad=True)
    z = x.max(axis=0)  # [8, 6, 9, 9, 9]
    assert z.data.tolist() == [8, 6, 9, 9, 9]
    z.backward([1, 1, 1, 1, 1])
    grad = [[0., 0., 0., 1 / 3, 0.],
            [0., 0., 0.5, 1 / 3, 0.],
            [0.5, 0.5, 0.5, 0, 1],
            [0.5, 0.5, 0., 1 / 3, 0.]]
    np.testing.assert_array_almost_equal(x.grad.data, np.array(grad))


def test_get_by_index():
    x = Tensor([1, 2, 3, 4, 5, 6, 7], requires_grad=True)
    z = x[2]
    assert z.data == 3
    z.backward()
    assert x.grad.data.tolist() == [0, 0, 1, 0, 0, 0, 0]


def test_slice():
    x = Tensor([1, 2, 3, 4, 5, 6, 7], requires_grad=True)
    z = x[2:4]
    assert z.data.tolist() == [3, 4]
    z.backward([1, 1])
    assert x.grad.data.tolist() == [0, 0, 1, 1, 0, 0, 0]


def test_matrix_slice():
    a = np.array([[1., 1., 8., 9., 1.],
                  [4., 5., 9., 9., 8.],
                  [8., 6., 9., 7., 9.],
                  [8., 6., 1., 9., 8.]])
    x = Tensor(a, requires_grad=True)
    z = x[1:3, 2:4]
    assert z.data.tolist() == [[9, 9], [9, 7]]
    z.backward([[1, 1], [1, 1]])
    np.testing.assert_array_almost_equal(x.grad.data, [[0, 0, 0, 0, 0],
                                                       [0, 0, 1, 1, 0],
                                                       [0, 0, 1, 1, 0],
                                                       [0, 0, 0, 0, 0]])


def test_reshape():
    x = Tensor(np.arange(9), requires_grad=True)
    z = x.reshape((3, 3))
    z.backward(np.ones((3, 3)))
    assert x.grad.data.tolist() == np.ones_like(x.data).tolist()


def test_matrix_reshape():
    x = Tensor(np.arange(12).reshape(2, 6), requires_grad=True)
    z = x.reshape((4, 3))
    z.backward(np.ones((4, 3)))
    assert x.grad.data.tolist() == np.ones_like(x.data).tolist()


def test_transpose():
    x = Tensor(np.arange(6).reshape((2, 3)), requires_grad=True)
    z = x.T
    assert z.data.shape == (3, 2)
    z.backward(np.ones((3, 2)))
    assert x.grad.data.tolist() == np.ones_like(x.data).tolist()


def test_matrix_transpose():
    x = Tensor(np.arange(12).reshape((2, 6, 1)), requires_grad=True)
    z = x.transpose((0, 2, 1))
    assert z.data.shape == (2, 1, 6)
    z.backward(np.ones((2, 1, 6)))
    assert x.grad.data.tolist() == np.ones_like(x.data).tolist()


# ---- 000: boolean and integer-array indexing


def test_boolean_indexing():
    '''测试boolean索引操作'''
    x = Tensor([1, 2, 3, 4, 5, 6, 7], requires_grad=True)
    z = x[x < 5]

    assert z.data.tolist() == [1., 2., 3., 4.]
    z.sum().backward()

    assert x.grad.data.tolist() == [1, 1, 1, 1, 0, 0, 0]


def test_integer_indexing():
    x = Tensor(np.arange(35).reshape(5, 7), requires_grad=True)
    z = x[np.array([0, 2, 4]), np.array([0, 1, 2])]  # x[0,0] x[2,1] x[4,2]

    assert z.data.tolist() == [0, 15, 30]

    z.sum().backward()

    assert x.grad.data.tolist() == [[1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
                                    [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
                                    [0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0],
                                    [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
                                    [0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0]]


def test_integer_indexing_with_tensors():
    """The article's "not yet supported" case: a tuple of Tensors as the index."""
    x = Tensor(np.arange(35).reshape(5, 7), requires_grad=True)
    z = x[Tensor([0, 2, 4], dtype=np.int64), Tensor([0, 1, 2], dtype=np.int64)]
    assert z.data.tolist() == [0, 15, 30]
    z.sum().backward()
    expected = np.zeros((5, 7))
    expected[[0, 2, 4], [0, 1, 2]] = 1
    assert x.grad.data.tolist() == expected.tolist()
