import pytest

from machtigen.identity.bsn import is_valid_bsn, mask_bsn


@pytest.mark.parametrize("bsn", ["999993653", "999990019", "111222333", "123456782"])
def test_valid_bsns_pass_the_elfproef(bsn):
    assert is_valid_bsn(bsn)


@pytest.mark.parametrize(
    "bsn",
    [
        "999993654",  # check digit off by one
        "123456789",  # fails the 11-test
        "12345678",  # eight digits: compared as a string, never padded
        "0999993653",  # ten digits
        "000000000",  # sum zero is not a valid BSN
        "99999365a",
        " 99999365",
        "９９９９９３６５３",  # full-width digits are not ASCII digits
        "",
    ],
)
def test_invalid_bsns_are_refused(bsn):
    assert not is_valid_bsn(bsn)


def test_a_number_is_not_a_bsn():
    assert not is_valid_bsn(999993653)  # type: ignore[arg-type]


def test_masking_keeps_only_the_last_three_digits():
    assert mask_bsn("999993653") == "******653"
