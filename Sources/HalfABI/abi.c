int ckpt_half_abi_anchor;
