// The certificate's 打印 button: the browser's print dialog, which prints
// the certificate on one A4 page or saves it as a PDF. Without script the
// browser's own Print (Ctrl+P) does the same.
"use strict";
(function () {
	var b = document.getElementById("print");
	if (b) {
		b.addEventListener("click", function () { window.print(); });
	}
})();
